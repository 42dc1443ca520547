# frozen_string_literal: true

# Run: ruby -I bindings/ruby/lib bindings/ruby/test/test_detour.rb (after
# `cargo build --release -p detour-capi`). Every answer is checked against the Rust CLI's.
require "minitest/autorun"
require "json"
require "open3"
require "tmpdir"
require "detour"

ROOT = File.expand_path("../../..", __dir__)

# The CLI's answers to JSONL request lines (cargo brings the CLI up to date first, once).
module CLI
  def self.binary
    @binary ||= begin
      _, err, status = Open3.capture3("cargo", "build", "--release", "-q", "-p", "detour-cli", chdir: ROOT)
      raise "building the detour CLI failed:\n#{err}" unless status.success?

      File.join(ROOT, "target", "release", "detour")
    end
  end

  def self.answers(blob, lines)
    Dir.mktmpdir do |dir|
      requests = File.join(dir, "requests.jsonl")
      File.write(requests, lines.map { |l| "#{l}\n" }.join)
      out, err, status = Open3.capture3(binary, "match", blob, "--requests", requests)
      raise "detour match failed:\n#{err}" unless status.success?

      out.lines.map { |l| expected(JSON.parse(l, symbolize_names: true)) }
    end
  end

  # The binding's answer for a CLI result line.
  def self.expected(line)
    return nil if line.nil?
    return { denied: true } if line[:denied]
    return line.slice(:too_long, :file, :line, :rule) if line[:too_long]

    line.slice(:status, :to, :target, :force, :line, :rule, :file, :negative).merge(denied: false)
  end
end

# The 1k workload plus bindings/testdata/extra_redirects, compiled through the binding; its
# requests plus bindings/testdata/extra_requests.jsonl, and the CLI's answers.
module Fixture
  def self.get
    @get ||= begin
      dir = Dir.mktmpdir("detour-ruby-")
      Minitest.after_run { FileUtils.remove_entry(dir) }
      workload = File.join(ROOT, "fixtures", "workloads", "1k")
      testdata = File.join(ROOT, "bindings", "testdata")
      rules = File.join(dir, "_redirects")
      File.write(rules, File.read(File.join(testdata, "extra_redirects")) + File.read(File.join(workload, "_redirects")))
      blob = File.join(dir, "site.detour")
      File.binwrite(blob, Detour.compile(rules))
      lines = [workload, testdata].zip(%w[requests.jsonl extra_requests.jsonl])
                                  .flat_map { |d, f| File.readlines(File.join(d, f), chomp: true) }
      requests = lines.map { |l| JSON.parse(l, symbolize_names: true) }
      { dir: dir, blob: blob, requests: requests, answers: CLI.answers(blob, lines) }
    end
  end
end

class DetourTest < Minitest::Test
  def fixture = Fixture.get

  def ask(matcher, request)
    opts = request.slice(:country, :language, :asset_exists)
    opts[:cookies] = request[:cookies].transform_keys(&:to_s) if request[:cookies]
    matcher.match(request[:url], **opts)
  end

  def check_all(matcher, indexes)
    indexes.each do |i|
      want = fixture[:answers][i]
      got = ask(matcher, fixture[:requests][i])
      message = "request #{i}: #{fixture[:requests][i][:url][0, 120]}"
      want.nil? ? assert_nil(got, message) : assert_equal(want, got, message)
    end
  end

  def test_every_answer_is_the_clis
    matcher = Detour::Matcher.open(fixture[:blob])
    check_all(matcher, fixture[:requests].each_index)
    kinds = fixture[:answers].map { |a| a.nil? ? :none : a.keys.first }.uniq
    assert_equal %i[denied none status too_long], kinds.sort
  ensure
    matcher&.close
  end

  # Several threads match through one matcher (and through matchers they open and drop) with
  # GC.stress on: every object allocation runs the garbage collector, including the
  # AutoPointers of the dropped matchers.
  def test_threads_under_gc_stress
    shared = Detour::Matcher.from_bytes(File.binread(fixture[:blob]))
    count = fixture[:requests].size
    threads = Array.new(4) do |t|
      Thread.new do
        GC.stress = true
        (0...4).each do |k|
          i = ((k * 167) + (t * 41)) % count
          check_all(shared, [i])
          check_all(Detour::Matcher.open(fixture[:blob]), [count - 1 - i]) if k.even?
        end
      ensure
        GC.stress = false
      end
    end
    threads.each(&:join)
  ensure
    GC.stress = false
    shared&.close
  end

  def test_close_is_idempotent_and_seen_by_copies
    matcher = Detour::Matcher.open(fixture[:blob])
    copy = matcher.dup
    matcher.close
    matcher.close
    assert_raises(Detour::ClosedError) { matcher.match("/x") }
    assert_raises(Detour::ClosedError) { matcher.swap(fixture[:blob]) }
    assert_raises(Detour::ClosedError) { copy.match("/x") } # the copy's handle is stale
    assert_raises(Detour::ClosedError) { copy.swap(fixture[:blob]) }
  end

  # A matcher nobody closes is released by its FFI::AutoPointer: its handle goes stale.
  def test_the_garbage_collector_releases_unclosed_matchers
    handles = Array.new(50) { Detour::Matcher.open(fixture[:blob]).instance_variable_get(:@handle) }
    4.times { GC.start(full_mark: true, immediate_sweep: true) }
    released = handles.count { |h| Detour::Native.detour_matcher_free(h) == Detour::STALE_HANDLE }
    assert_operator released, :>, 0, "no matcher was released by the garbage collector"
  end

  def test_swap_replaces_the_rules_and_a_bad_swap_keeps_them
    other = File.join(fixture[:dir], "other")
    File.write(other, "/c /swapped 301\n")
    other_blob = File.join(fixture[:dir], "other.detour")
    File.binwrite(other_blob, Detour.compile(other))
    matcher = Detour::Matcher.open(fixture[:blob])
    assert_raises(Detour::Error) { matcher.swap(File.join(fixture[:dir], "missing.detour")) }
    assert_equal "/cookie", matcher.match("/c", cookies: { "session" => "1" })[:to]
    matcher.swap(other_blob)
    assert_equal "/swapped", matcher.match("/c")[:to]
  ensure
    matcher&.close
  end

  def test_compile_errors_list_every_diagnostic
    bad = File.join(fixture[:dir], "bad_redirects")
    File.write(bad, "/ok /fine 301\n/bad\n/also-bad\n")
    error = assert_raises(Detour::Error) { Detour.compile(bad) }
    assert_match(%r{bad_redirects:2: error: missing destination}, error.message)
    assert_match(%r{bad_redirects:3: error: missing destination}, error.message)
    assert_raises(Detour::Error) { Detour.compile(File.join(fixture[:dir], "missing")) }
    assert_raises(Detour::Error) { Detour::Matcher.from_bytes("not a blob") }
  end
end
