# frozen_string_literal: true

# ns per match through the Ruby binding on the criterion benchmark's 10k workload, and the cost
# of an empty native call. Needs the workload:
#   cargo xtask gen --rules 10000 --requests 4000 --seed 42 --out target/workloads/bench-10k
# Run: ruby -I bindings/ruby/lib bindings/ruby/bench.rb
require "benchmark"
require "json"
require "detour"

dir = File.expand_path("../../target/workloads/bench-10k", __dir__)
abort "no workload in #{dir}: see the comment at the top" unless File.exist?(File.join(dir, "_redirects"))
matcher = Detour::Matcher.from_bytes(Detour.compile(File.join(dir, "_redirects")))
urls = File.readlines(File.join(dir, "requests.jsonl")).first(1000).map { |l| JSON.parse(l)["url"] }

def per_call_ns(iterations)
  yield 0 # warm up
  best = Array.new(5) { Benchmark.realtime { iterations.times { |i| yield i } } }.min
  best * 1e9 / iterations
end

n = 200_000
printf("match (10k rules, mixed):   %8.0f ns\n", per_call_ns(n) { |i| matcher.match(urls[i % urls.size]) })
printf("empty call (abi_version):   %8.0f ns\n", per_call_ns(n) { Detour::Native.detour_abi_version })
