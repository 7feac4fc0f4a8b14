import CUV

// All casts between libuv handle types and all handle memory management live in this file.
//
// Ownership rule (docs/ARCHITECTURE.md, "C interop rules", rule 2): every handle LitUV creates is allocated here,
// gets its owner through `handle.data` with a +1 retain when it is initialised, and is freed — and its owner
// released — only in `handleClosedCallback`. `UVHandle.close` is the one way to close a handle, so a `uv_walk` at
// loop stop can close any handle, whoever created it.

/// An object that owns one or more libuv handles and is told when each has been closed.
///
/// A handle retains its owner from `UVHandle.attach` until its close callback has run, so the owner outlives every
/// callback libuv can make for that handle.
class UVHandleOwner {
    /// Called on the loop thread from the handle's close callback, before the handle's memory is freed.
    func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {}
}

enum UVHandle {
    /// Allocates zeroed memory for a handle of type `type` (freed by the close callback or `deallocateUnattached`).
    static func allocate<Handle>(_ type: uv_handle_type, as: Handle.Type) -> UnsafeMutablePointer<Handle> {
        let size = uv_handle_size(type)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        return raw.bindMemory(to: Handle.self, capacity: 1)
    }

    /// Frees a handle whose `uv_*_init` failed (so it was never registered with a loop).
    static func deallocateUnattached<Handle>(_ handle: UnsafeMutablePointer<Handle>) {
        UnsafeMutableRawPointer(handle).deallocate()
    }

    /// Makes `owner` the owner of an initialised handle (+1 retain, released in the close callback).
    static func attach<Handle>(_ handle: UnsafeMutablePointer<Handle>, to owner: UVHandleOwner) {
        base(handle).pointee.data = Unmanaged.passRetained(owner).toOpaque()
    }

    /// The owner of a handle created by LitUV, or nil for a foreign or already detached handle.
    static func owner<Handle, Owner: UVHandleOwner>(
        of handle: UnsafeMutablePointer<Handle>,
        as: Owner.Type
    ) -> Owner? {
        guard let data = base(handle).pointee.data else { return nil }
        return Unmanaged<UVHandleOwner>.fromOpaque(data).takeUnretainedValue() as? Owner
    }

    /// Closes a handle unless it is already closing. Safe to call more than once.
    static func close<Handle>(_ handle: UnsafeMutablePointer<Handle>) {
        let h = base(handle)
        if uv_is_closing(h) == 0 {
            uv_close(h, handleClosedCallback)
        }
    }

    /// Views any libuv handle as the common `uv_handle_t` (its first member, by libuv's ABI).
    @inline(__always)
    static func base<Handle>(_ handle: UnsafeMutablePointer<Handle>) -> UnsafeMutablePointer<uv_handle_t> {
        UnsafeMutablePointer<uv_handle_t>(OpaquePointer(handle))
    }

    /// Views any libuv stream handle (`uv_tcp_t`, ...) as `uv_stream_t`.
    @inline(__always)
    static func stream<Handle>(_ handle: UnsafeMutablePointer<Handle>) -> UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutablePointer<uv_stream_t>(OpaquePointer(handle))
    }

    /// Views a `uv_stream_t` as the `uv_tcp_t` it was created as.
    @inline(__always)
    static func tcp(_ stream: UnsafeMutablePointer<uv_stream_t>) -> UnsafeMutablePointer<uv_tcp_t> {
        UnsafeMutablePointer<uv_tcp_t>(OpaquePointer(stream))
    }
}

/// The close callback of every LitUV handle: tells the owner, releases it, frees the handle.
private func handleClosedCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data {
        handle.pointee.data = nil
        let owner = Unmanaged<UVHandleOwner>.fromOpaque(data)
        owner.takeUnretainedValue().handleDidClose(handle)
        owner.release()
    }
    UnsafeMutableRawPointer(handle).deallocate()
}

/// `uv_walk` callback used at loop stop: closes every handle still open.
func closeEveryHandleCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?, _ arg: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    UVHandle.close(handle)
}
