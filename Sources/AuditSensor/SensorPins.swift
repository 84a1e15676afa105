import CLibbpf
import Foundation

/// Where a sensor's links and shared maps are pinned in bpffs:
/// /sys/fs/bpf/auditq/<mode>/<program> and …/<mode>/map_<name>. A collector
/// killed without a chance to stop leaves them, so its programs keep
/// writing into the pinned ring buffer; the next start takes them over
/// instead of attaching a second set, and reads what they wrote meanwhile.
struct SensorPins {
    static let root = "/sys/fs/bpf/auditq"
    /// Pinned with the links, so a takeover reads them: the maps every
    /// object shares, and learning's (kept by learn.bpf.c alone).
    static let sharedMaps = ["events", "reserve_fails", "watch_paths"] + learnMaps
    static let learnMaps = ["learn_syscalls", "learn_caps", "learn_exes", "learn_fails", "learn_tasks"]
    let directory: String

    init(mode: String) { directory = Self.root + "/" + mode }

    func linkPath(_ program: String) -> String { directory + "/" + program }
    /// bpffs refuses names with a dot (EPERM): kernel files such as maps.debug use them.
    func mapName(_ map: String) -> String { "map_" + map }
    func mapPath(_ map: String) -> String { directory + "/" + mapName(map) }

    /// What is pinned in this mode's directory.
    func entries() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    /// Pins the shared maps, right after load. The ring buffer must be
    /// pinned for a takeover; the others help.
    func pin(maps: [String: Int32]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, fd) in maps {
            let rc = bpf_obj_pin(fd, mapPath(name))
            if rc < 0 && name == "events" {
                let e = errno
                remove()
                throw BPFError.pin(path: mapPath(name), errno: e)
            }
        }
    }

    /// Pins the links; a failure removes every pin (nothing half-pinned).
    func pin(links: [BPFLink]) throws {
        do {
            for link in links { try link.pin(at: linkPath(link.program)) }
        } catch {
            remove()
            throw error
        }
    }

    /// The pinned set, when every program named is there.
    func open(programs: [String]) -> (links: [BPFLink], maps: [String: Int32])? {
        guard !programs.isEmpty else { return nil }
        var links: [BPFLink] = []
        for program in programs {
            guard let link = BPFLink.open(pinnedAt: linkPath(program), program: program) else { return nil }
            links.append(link)
        }
        var maps: [String: Int32] = [:]
        for name in Self.sharedMaps {
            let fd = bpf_obj_get(mapPath(name))
            if fd >= 0 { maps[name] = fd }
        }
        guard maps["events"] != nil else {
            maps.values.forEach { close($0) }
            return nil
        }
        return (links, maps)
    }

    /// Removes the pins: once this process lets go of its links, the
    /// programs detach.
    func remove() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] {
            unlink(directory + "/" + name)
        }
        rmdir(directory)
        rmdir(Self.root)
    }
}
