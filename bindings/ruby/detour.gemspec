# frozen_string_literal: true

Gem::Specification.new do |spec|
  spec.name = "detour"
  spec.version = "0.1.0"
  spec.summary = "Netlify-style redirect rules: compile and match, through detour's C ABI"
  spec.description = "Ruby bindings (ffi) over libdetour_capi: compile _redirects/netlify.toml rules " \
                     "to a blob and match requests. Matchers are generation-checked handles, so a " \
                     "closed or released matcher raises Detour::ClosedError instead of reading freed memory."
  spec.authors = ["detour"]
  spec.license = "MIT OR Apache-2.0"
  spec.homepage = "https://example.invalid/detour"
  spec.required_ruby_version = ">= 3.1"
  spec.files = ["lib/detour.rb"]
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", ">= 1.15"
  spec.metadata["rubygems_mfa_required"] = "true"
  # The native library is not bundled: build it (`cargo build --release -p detour-capi`) and
  # point DETOUR_LIB at libdetour_capi.so, or install it where the system loader finds it.
end
