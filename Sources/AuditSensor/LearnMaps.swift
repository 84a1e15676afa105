import AuditRecords
import CBPFEvents
import CLibbpf
import Foundation

/// One (cgroup, executable, ABI) of least-privilege learning and what it
/// did: the syscalls entered so far (a bitmap the kernel keeps), and who made
/// its first syscall.
public struct LearnedProgram: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public var cgroupID: UInt64
        public var exeInode: UInt64
        /// "major:minor" of the executable's file system.
        public var exeDevice: String
        /// events.h's enum auditq_learn_arch: 0 x86_64, 1 i386, 2 x32.
        public var arch: UInt32
        public init(cgroupID: UInt64, exeInode: UInt64, exeDevice: String, arch: UInt32) {
            self.cgroupID = cgroupID; self.exeInode = exeInode; self.exeDevice = exeDevice; self.arch = arch
        }
    }
    public var key: Key
    /// Syscall numbers within `arch`'s table.
    public var syscalls: Set<Int>
    public var firstWallNs: Int64
    public var capEffective: UInt64
    public var capPermitted: UInt64
    public var uid: UInt32
    public var tgid: UInt32
    public var comm: String
}

/// Capability checks of one (cgroup, executable), per capability, syscall
/// and outcome.
public struct LearnedCapability: Hashable, Sendable {
    public var cgroupID: UInt64
    public var exeInode: UInt64
    public var exeDevice: String
    public var capability: Int
    /// The syscall the check happened in; nil outside a syscall.
    public var syscall: Int?
    public var arch: UInt32
    public var denied: Bool
    public init(cgroupID: UInt64, exeInode: UInt64, exeDevice: String, capability: Int, syscall: Int?, arch: UInt32, denied: Bool) {
        self.cgroupID = cgroupID; self.exeInode = exeInode; self.exeDevice = exeDevice; self.capability = capability
        self.syscall = syscall; self.arch = arch; self.denied = denied
    }
}

public struct LearnSnapshot: Sendable {
    public var programs: [LearnedProgram]
    public var capabilities: [LearnedCapability: UInt64]
    /// Keys a full map kept out, since load: (syscall keys, capability keys).
    public var failedPrograms: UInt64
    public var failedCapabilities: UInt64
}

/// Reads the learning maps of learn.bpf.c (events.h, "Least-privilege
/// learning"). The fds belong to the sensor.
public struct LearnMaps: Sendable {
    let syscalls: Int32
    let caps: Int32
    let exes: Int32
    let fails: Int32
    let wallOffsetNs: Int64

    public func snapshot() -> LearnSnapshot {
        var programs: [LearnedProgram] = []
        var key = auditq_learn_key(), next = auditq_learn_key()
        var value = auditq_learn_value()
        var first = true
        while (first ? bpf_map_get_next_key(syscalls, nil, &next) : bpf_map_get_next_key(syscalls, &key, &next)) == 0 {
            first = false
            key = next
            guard bpf_map_lookup_elem(syscalls, &key, &value) == 0 else { continue }
            var numbers: Set<Int> = []
            withUnsafeBytes(of: value.syscalls) { raw in
                for (w, word) in raw.bindMemory(to: UInt64.self).enumerated() where word != 0 {
                    for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { numbers.insert(w * 64 + bit) }
                }
            }
            programs.append(LearnedProgram(
                key: .init(cgroupID: key.cgroup_id, exeInode: key.exe_ino, exeDevice: Self.device(key.exe_dev), arch: key.arch),
                syscalls: numbers, firstWallNs: Int64(bitPattern: value.first_ns) &+ wallOffsetNs,
                capEffective: value.cap_effective, capPermitted: value.cap_permitted, uid: value.uid, tgid: value.tgid,
                comm: withUnsafeBytes(of: value.comm) { Self.string($0) }))
        }
        var capabilities: [LearnedCapability: UInt64] = [:]
        var ckey = auditq_learn_cap_key(), cnext = auditq_learn_cap_key()
        var count: UInt64 = 0
        first = true
        while (first ? bpf_map_get_next_key(caps, nil, &cnext) : bpf_map_get_next_key(caps, &ckey, &cnext)) == 0 {
            first = false
            ckey = cnext
            guard bpf_map_lookup_elem(caps, &ckey, &count) == 0 else { continue }
            let c = LearnedCapability(cgroupID: ckey.cgroup_id, exeInode: ckey.exe_ino, exeDevice: Self.device(ckey.exe_dev),
                                      capability: Int(ckey.cap), syscall: ckey.nr == 0xffff ? nil : Int(ckey.nr),
                                      arch: UInt32(ckey.arch), denied: ckey.denied != 0)
            capabilities[c, default: 0] += count
        }
        let (p, c) = failures()
        return LearnSnapshot(programs: programs, capabilities: capabilities, failedPrograms: p, failedCapabilities: c)
    }

    /// The name the executable was last exec'd by while the programs ran
    /// (as given to execve), if one was seen.
    public func exeName(inode: UInt64, device: String) -> String? {
        guard let number = DeviceNumber(device) else { return nil }
        var key = auditq_learn_exe_key(ino: inode, dev: UInt32(truncatingIfNeeded: number.kernel), _pad: 0)
        var value = auditq_learn_exe_value()
        guard bpf_map_lookup_elem(exes, &key, &value) == 0 else { return nil }
        return withUnsafeBytes(of: value.path) { Self.string($0) }
    }

    private func failures() -> (UInt64, UInt64) {
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { return (0, 0) }
        var sums: [UInt64] = []
        for slot in 0..<UInt32(AUDITQ_LEARN_FAIL_SLOTS) {
            var key = slot
            var values = [UInt64](repeating: 0, count: cpus)
            sums.append(bpf_map_lookup_elem(fails, &key, &values) == 0 ? values.reduce(0, +) : 0)
        }
        return (sums[Int(AUDITQ_LEARN_FAIL_SYSCALLS)], sums[Int(AUDITQ_LEARN_FAIL_CAPS)])
    }

    static func device(_ dev: UInt32) -> String { DeviceNumber(kernel: UInt64(dev)).description }

    static func string(_ raw: UnsafeRawBufferPointer) -> String {
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
