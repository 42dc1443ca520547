# frozen_string_literal: true

# detour from Ruby: compile Netlify-style redirect rules and match requests, through the C ABI
# of crates/detour-capi (build it first: `cargo build --release -p detour-capi`).
#
# Matchers are native handles, not pointers: a matcher used after #close (or after the garbage
# collector released it) raises Detour::ClosedError, never reads freed memory.
require "ffi"

module Detour
  # A failure reported by the native library; #code is its DETOUR_ERR_* status.
  class Error < StandardError
    attr_reader :code

    def initialize(message, code = nil)
      super(message)
      @code = code
    end
  end

  # The matcher was closed (or released): its handle is stale.
  class ClosedError < Error; end

  STALE_HANDLE = 1
  RULES = 6
  BUFFER_TOO_SMALL = 7
  OUTCOMES = { 1 => :matched, 2 => :denied, 3 => :too_long }.freeze

  # The library: $DETOUR_LIB, else the workspace's target/release, else the system's.
  def self.library_path
    return ENV["DETOUR_LIB"] if ENV["DETOUR_LIB"]

    built = File.expand_path("../../../target/release/#{FFI.map_library_name('detour_capi')}", __dir__)
    File.exist?(built) ? built : "detour_capi"
  end

  # The C declarations of include/detour.h.
  module Native
    extend FFI::Library
    ffi_lib Detour.library_path

    class Span < FFI::Struct
      layout :offset, :uint32, :len, :uint32
    end

    class Request < FFI::Struct
      layout :url, Span, :scheme, Span, :host, Span, :path, Span, :query, Span,
             :country, Span, :language, Span, :flags, :uint32
    end

    class Cookie < FFI::Struct
      layout :name, Span, :value, Span
    end

    class Result < FFI::Struct
      layout :outcome, :uint32, :status, :uint32, :force, :uint32, :negative, :uint32,
             :rule, :uint32, :line, :uint32, :to, Span, :target, Span, :file, Span, :needed, :size_t
    end

    class Diagnostic < FFI::Struct
      layout :severity, :uint32, :line, :uint32, :column, :uint32, :file, Span, :message, Span,
             :needed, :size_t
    end

    attach_function :detour_abi_version, [], :uint32
    attach_function :detour_last_error_message, %i[pointer size_t pointer], :int32
    attach_function :detour_matcher_open, %i[pointer size_t pointer], :int32
    attach_function :detour_matcher_from_bytes, %i[pointer size_t pointer], :int32
    attach_function :detour_matcher_swap_path, %i[uint64 pointer size_t], :int32
    attach_function :detour_matcher_free, [:uint64], :int32
    attach_function :detour_matcher_match,
                    [:uint64, Request.by_ref, :pointer, :size_t, :pointer, :size_t, Result.by_ref, :pointer, :size_t],
                    :int32
    attach_function :detour_compile_files, %i[pointer size_t pointer size_t pointer], :int32
    attach_function :detour_compilation_blob, %i[uint64 pointer size_t pointer], :int32
    attach_function :detour_compilation_diagnostic_count, %i[uint64 pointer], :int32
    attach_function :detour_compilation_diagnostic, [:uint64, :size_t, Diagnostic.by_ref, :pointer, :size_t], :int32
    attach_function :detour_compilation_free, [:uint64], :int32
  end

  # Native memory holding bytes (no NUL needed: every length is explicit).
  def self.bytes(string)
    string = string.b
    FFI::MemoryPointer.new(:uint8, [string.bytesize, 1].max).tap { |m| m.put_bytes(0, string) }
  end

  # Raises for a status code, with the message the library kept for this thread.
  def self.check(code)
    return if code.zero?
    raise ClosedError.new("detour: matcher is closed (stale handle)", code) if code == STALE_HANDLE

    len = FFI::MemoryPointer.new(:size_t)
    Native.detour_last_error_message(nil, 0, len)
    buf = FFI::MemoryPointer.new(:uint8, [len.read(:size_t), 1].max)
    Native.detour_last_error_message(buf, buf.size, len)
    raise Error.new("detour: #{buf.read_bytes(len.read(:size_t)).force_encoding('UTF-8')}", code)
  end

  # Calls the block with a native uint64 out-parameter; returns the value it was given.
  def self.out_handle
    out = FFI::MemoryPointer.new(:uint64)
    yield out
    out.read(:uint64)
  end

  # The strings of a span, from a native buffer.
  def self.span_string(buf, span)
    buf.get_bytes(span[:offset], span[:len]).force_encoding("UTF-8")
  end

  # Rule files (`_redirects`, `*.toml`, `*.json`, in priority order) to blob bytes; raises
  # Detour::Error listing every diagnostic when a rule has an error.
  def self.compile(*files)
    text = files.map(&:b).join
    spans = FFI::MemoryPointer.new(Native::Span, [files.size, 1].max)
    files.each_with_index.reduce(0) do |at, (f, i)|
      span = Native::Span.new(spans + (i * Native::Span.size))
      span[:offset] = at
      span[:len] = f.bytesize
      at + f.bytesize
    end
    handle = nil
    code = Native.detour_compile_files(spans, files.size, bytes(text), text.bytesize, out = FFI::MemoryPointer.new(:uint64))
    handle = out.read(:uint64) if code.zero? || code == RULES
    raise Error.new("detour: the rules have errors:\n#{diagnostics(handle).join("\n")}", code) if code == RULES

    check(code)
    blob(handle)
  ensure
    Native.detour_compilation_free(handle) if handle
  end

  def self.blob(handle)
    len = FFI::MemoryPointer.new(:size_t)
    Native.detour_compilation_blob(handle, nil, 0, len)
    buf = FFI::MemoryPointer.new(:uint8, [len.read(:size_t), 1].max)
    check(Native.detour_compilation_blob(handle, buf, buf.size, len))
    buf.read_bytes(len.read(:size_t))
  end

  # Each diagnostic as `FILE:LINE[:COL]: error|warning: MESSAGE`.
  def self.diagnostics(handle)
    count = FFI::MemoryPointer.new(:size_t)
    Native.detour_compilation_diagnostic_count(handle, count)
    buf = FFI::MemoryPointer.new(:uint8, 4096)
    Array.new(count.read(:size_t)) do |i|
      d = Native::Diagnostic.new
      if Native.detour_compilation_diagnostic(handle, i, d, buf, buf.size) == BUFFER_TOO_SMALL
        buf = FFI::MemoryPointer.new(:uint8, d[:needed])
        Native.detour_compilation_diagnostic(handle, i, d, buf, buf.size)
      end
      place = [span_string(buf, d[:file]), d[:line], (d[:column] if d[:column].positive?)].compact.join(":")
      "#{place}: #{d[:severity].zero? ? 'error' : 'warning'}: #{span_string(buf, d[:message])}"
    end
  end

  # Compiled rules, answering requests. Share it across threads; #close it when done (the
  # garbage collector releases it otherwise, through FFI::AutoPointer).
  class Matcher
    # Frees a handle; the AutoPointer's "address" is the handle, never dereferenced.
    RELEASE = ->(pointer) { Native.detour_matcher_free(pointer.address) }

    # Maps a blob file.
    def self.open(path)
      new(Detour.out_handle { |out| Detour.check(Native.detour_matcher_open(Detour.bytes(path), path.bytesize, out)) })
    end

    # Loads blob bytes (copied).
    def self.from_bytes(blob)
      new(Detour.out_handle { |out| Detour.check(Native.detour_matcher_from_bytes(Detour.bytes(blob), blob.bytesize, out)) })
    end

    def initialize(handle)
      @handle = handle
      @owner = FFI::AutoPointer.new(FFI::Pointer.new(handle), RELEASE)
      @lock = Mutex.new
      @closed = false
    end

    # nil when no rule applies, else a Hash: {status:, to:, target:, force:, line:, rule:, file:,
    # denied: false}; {denied: true} when a Role rule denied access (answer 404); {too_long: true,
    # file:, line:, rule:} when the rule's target would pass 16 KiB (answer 414).
    def match(url, country: nil, language: nil, cookies: {}, asset_exists: false)
      raise ClosedError.new("detour: matcher is closed", STALE_HANDLE) if @closed

      scratch = Scratch.current
      scratch.pack(url, country, language, cookies, asset_exists)
      code = scratch.call(@handle)
      code = scratch.call(@handle, grow: true) if code == BUFFER_TOO_SMALL
      Detour.check(code)
      scratch.answer
    end

    # Atomically replaces the rules with a blob file; on error the old rules stay.
    def swap(path)
      raise ClosedError.new("detour: matcher is closed", STALE_HANDLE) if @closed

      Detour.check(Native.detour_matcher_swap_path(@handle, Detour.bytes(path), path.bytesize))
    end

    # Frees the native rules now. Idempotent; later calls raise Detour::ClosedError.
    def close
      @lock.synchronize do
        next if @closed

        @closed = true
        @owner.free
      end
      nil
    end

    def closed?
      @closed
    end
  end

  # Per-thread native memory for matching: the request (every string packed into one text
  # buffer, named by spans), the result and the output buffer, reused from call to call.
  class Scratch
    COUNTRY = 1
    LANGUAGE = 2
    ASSET_EXISTS = 4

    def self.current
      Thread.current[:detour_scratch] ||= new
    end

    def initialize
      @request = Native::Request.new
      @result = Native::Result.new
      @text = FFI::MemoryPointer.new(:uint8, 1024)
      @cookies = FFI::MemoryPointer.new(Native::Cookie, 8)
      @out = FFI::MemoryPointer.new(:uint8, 4096)
    end

    # Packs the strings into the text and writes the request struct in one go (its fields are
    # 15 uint32s: seven spans, then the flags), cookies likewise.
    def pack(url, country, language, cookies, asset_exists)
      strings = [url.to_s, country.to_s, language.to_s, *cookies.flat_map { |k, v| [k.to_s, v.to_s] }].map(&:b)
      text = strings.join
      @text = FFI::MemoryPointer.new(:uint8, text.bytesize) if text.bytesize > @text.size
      @text.put_bytes(0, text) unless text.empty?
      @text_len = text.bytesize
      spans = strings.each_with_object([0]).map { |str, at| [at[0], str.bytesize].tap { at[0] += str.bytesize } }
      flags = (country ? COUNTRY : 0) | (language ? LANGUAGE : 0) | (asset_exists ? ASSET_EXISTS : 0)
      @request.pointer.put_array_of_uint32(0, [*spans[0], 0, 0, 0, 0, 0, 0, 0, 0, *spans[1], *spans[2], flags])
      pack_cookies(spans.drop(3).flatten, cookies.size)
    end

    # One native match; with grow, first enlarges the output buffer to what the result needs.
    def call(handle, grow: false)
      @out = FFI::MemoryPointer.new(:uint8, @result[:needed]) if grow
      Native.detour_matcher_match(handle, @request, @text, @text_len, @cookies, @cookie_count, @result, @out, @out.size)
    end

    # The result's 12 uint32s (outcome, status, force, negative, rule, line, then the spans of to,
    # target and file), read in one go.
    def answer
      outcome, status, force, negative, rule, line, *spans = @result.pointer.get_array_of_uint32(0, 12)
      to, target, file = spans.each_slice(2).map { |at, len| @out.get_bytes(at, len).force_encoding("UTF-8") }
      case OUTCOMES[outcome]
      when :denied then { denied: true }
      when :too_long then { too_long: true, file: file, line: line, rule: rule }
      when :matched
        { status: status, to: to, target: target, force: force == 1, line: line, rule: rule, file: file,
          denied: false, negative: negative == 1 }
      end
    end

    private

    def pack_cookies(spans, count)
      @cookies = FFI::MemoryPointer.new(Native::Cookie, count) if count * Native::Cookie.size > @cookies.size
      @cookies.put_array_of_uint32(0, spans) unless spans.empty?
      @cookie_count = count
    end
  end
end
