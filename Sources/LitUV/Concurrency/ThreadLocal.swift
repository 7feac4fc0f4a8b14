#if canImport(Glibc)
import Glibc
#endif

/// A raw pointer per thread (a pthread key), for a caller to hand data to code it does not call directly: a
/// worker's current batch, read by a protocol's default implementation. The pointee belongs to the caller, who
/// clears the pointer before the pointee goes away; setting and reading cost a few instructions and allocate
/// nothing.
final class ThreadLocalPointer: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `key` is written once in init; each thread reads and writes only its own
    // slot of it.
    private var key = pthread_key_t()
    private let created: Bool

    init() {
        created = pthread_key_create(&key, nil) == 0
    }

    /// This thread's pointer, or nil.
    var value: UnsafeRawPointer? {
        guard created else { return nil }
        return pthread_getspecific(key).map { UnsafeRawPointer($0) }
    }

    /// Sets this thread's pointer and returns the previous one.
    func exchange(_ pointer: UnsafeRawPointer?) -> UnsafeRawPointer? {
        guard created else { return nil }
        let previous = pthread_getspecific(key).map { UnsafeRawPointer($0) }
        pthread_setspecific(key, pointer)
        return previous
    }
}
