#if canImport(Glibc)
import Glibc
#endif

/// A value per thread, for data a caller hands to code it does not call directly (a worker's current batch, read
/// by a protocol's default implementation). Each thread's box is allocated on its first use and freed when the
/// thread exits; setting and reading allocate nothing.
final class ThreadLocal<Value>: @unchecked Sendable {
    // Invariant for @unchecked Sendable: each thread only reads and writes its own box (pthread_getspecific).

    private final class Box {
        var value: Value?
    }

    private var key = pthread_key_t()
    private let created: Bool

    init() {
        created =
            pthread_key_create(&key) { pointer in
                guard let pointer else { return }
                Unmanaged<AnyObject>.fromOpaque(pointer).release()
            } == 0
    }

    private var box: Box? {
        guard created else { return nil }
        if let existing = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(existing).takeUnretainedValue() as? Box
        }
        let box = Box()
        guard pthread_setspecific(key, Unmanaged.passRetained(box as AnyObject).toOpaque()) == 0 else {
            Unmanaged.passUnretained(box as AnyObject).release()
            return nil
        }
        return box
    }

    /// This thread's value, or nil.
    var value: Value? { created ? box?.value : nil }

    /// Runs `body` with this thread's value set to `value`, then restores the previous one.
    func withValue<R, E: Error>(_ value: Value, _ body: () throws(E) -> R) throws(E) -> R {
        guard let box else { return try body() }
        let previous = box.value
        box.value = value
        defer { box.value = previous }
        return try body()
    }
}
