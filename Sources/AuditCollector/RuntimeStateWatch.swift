import AuditContainers
import AuditStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads runc's and crun's state files the moment they are written, and
/// keeps what they said after the runtime deletes them. A plain runc or
/// crun container is named only by these files, and crun runs a short
/// container from start to end in about 10 ms: a scan after the cgroup is
/// made would find the state gone. inotify on each state root (and on each
/// container's directory in it) wakes a thread of its own, which reads the
/// file at once. Roots that do not exist yet are looked for again every
/// second. Bounded: the newest `capacity` containers are kept.
final class RuntimeStateWatch: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var entries: [String: RuntimeState.Entry] = [:]
    private var order: [String] = []
    /// Watch descriptor → (directory, runtime, is a root).
    private var watched: [Int32: (path: String, runtime: ContainerRuntime, root: Bool)] = [:]
    private var watchedPaths: Set<String> = []
    private let roots: [RuntimeState.Root]
    private var stopped = false
    private var thread: Thread?
    private var onEntry: (@Sendable (RuntimeState.Entry) -> Void)?
    static let capacity = 4096

    /// Called on the watch's thread for each state read that is new or
    /// changed: a runtime can write it long after the cgroup was made
    /// (seconds, under emulation), when no one is looking any more.
    func whenRead(_ body: @escaping @Sendable (RuntimeState.Entry) -> Void) {
        lock.lock(); onEntry = body; lock.unlock()
    }

    init(roots: [RuntimeState.Root] = RuntimeState.Root.defaults) {
        self.roots = roots
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return }
        addRoots()
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "auditqd runtime state"
        self.thread = thread
        thread.start()
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The state files read so far (those since deleted included).
    func known() -> [RuntimeState.Entry] {
        lock.lock(); defer { lock.unlock() }
        return order.compactMap { entries[$0] }
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        while thread?.isFinished == false { usleep(2000) }
    }

    private func run() {
        var lastRootCheck = Clock.monotonicMs()
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            lock.lock(); let done = stopped; lock.unlock()
            if done { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 200)
            drain(buffer, size)
            if Clock.monotonicMs() - lastRootCheck >= 1000 {
                lastRootCheck = Clock.monotonicMs()
                addRoots()
            }
        }
    }

    private func drain(_ buffer: UnsafeMutableRawPointer, _ size: Int) {
        while true {
            let n = read(fd, buffer, size)
            if n <= 0 { return }
            var at = 0
            while at + MemoryLayout<inotify_event>.size <= n {
                let event = buffer.load(fromByteOffset: at, as: inotify_event.self)
                let nameStart = at + MemoryLayout<inotify_event>.size
                let name = event.len > 0
                    ? String(decoding: UnsafeRawBufferPointer(start: buffer + nameStart, count: Int(event.len)).prefix { $0 != 0 }, as: UTF8.self)
                    : ""
                at = nameStart + Int(event.len)
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { rescan(); continue }
                guard let w = watched[event.wd] else { continue }
                if w.root {
                    // A container's directory in a root: watch it, then read
                    // what may already be written.
                    if event.mask & UInt32(IN_ISDIR) != 0 && !name.isEmpty {
                        let directory = w.path + "/" + name
                        watch(directory, runtime: w.runtime, root: false)
                        readState(directory, runtime: w.runtime)
                    }
                } else {
                    readState(w.path, runtime: w.runtime)
                }
            }
        }
    }

    private func addRoots() {
        for root in roots {
            for directory in RuntimeState.directories(of: root) where !watchedPaths.contains(directory) {
                watch(directory, runtime: root.runtime, root: true)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                    watch(directory + "/" + name, runtime: root.runtime, root: false)
                    readState(directory + "/" + name, runtime: root.runtime)
                }
            }
        }
    }

    private func rescan() {
        for (_, w) in watched where !w.root { readState(w.path, runtime: w.runtime) }
        addRoots()
    }

    private func watch(_ directory: String, runtime: ContainerRuntime, root: Bool) {
        guard !watchedPaths.contains(directory) else { return }
        let mask = root ? UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)
                        : UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR)
        let wd = inotify_add_watch(fd, directory, mask)
        guard wd >= 0 else { return }
        watched[wd] = (directory, runtime, root)
        watchedPaths.insert(directory)
        // Watches of directories the runtimes removed are dropped by the
        // kernel (IN_IGNORED); forget the oldest names past the bound.
        if watched.count > Self.capacity * 2 {
            for (old, w) in watched where !w.root && !FileManager.default.fileExists(atPath: w.path) {
                watched.removeValue(forKey: old)
                watchedPaths.remove(w.path)
            }
        }
    }

    private func readState(_ directory: String, runtime: ContainerRuntime) {
        guard let entry = RuntimeState.entry(directory: directory, runtime: runtime), !entry.cgroupPaths.isEmpty else { return }
        lock.lock()
        let key = entry.stateFile
        let changed = entries[key] != entry
        if entries[key] == nil { order.append(key) }
        entries[key] = entry
        if order.count > Self.capacity {
            let old = order.removeFirst()
            entries.removeValue(forKey: old)
        }
        let body = onEntry
        lock.unlock()
        if changed { body?(entry) }
    }
}
