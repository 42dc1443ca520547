module example.invalid/detour/bindings/go

go 1.19
