import CLibbpf
import Foundation

/// Owns one `bpf_object*` opened from an object embedded in the binary:
/// its programs are loaded together and attached one by one.
public final class BPFObject {
    private let object: OpaquePointer
    private let bytes: UnsafeMutableRawBufferPointer
    public let name: String

    /// libbpf keeps pointers into the object's bytes until it is closed, so
    /// this type holds its own copy.
    public init(name: String, elf: [UInt8]) throws {
        LibbpfLog.install()
        self.name = name
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(elf.count, 1), alignment: 8)
        copy.copyBytes(from: elf)
        var opts = bpf_object_open_opts()
        opts.sz = MemoryLayout<bpf_object_open_opts>.size
        guard let object = name.withCString({ cname -> OpaquePointer? in
            opts.object_name = cname
            return bpf_object__open_mem(copy.baseAddress, elf.count, &opts)
        }) else {
            let e = errno
            copy.deallocate()
            throw BPFError.open(object: name, errno: e)
        }
        bytes = copy
        self.object = object
    }

    deinit {
        bpf_object__close(object)
        bytes.deallocate()
    }

    /// Program names and their section (`lsm/bprm_check_security`, …).
    public var programs: [(name: String, section: String)] {
        var out: [(String, String)] = []
        var p = bpf_object__next_program(object, nil)
        while let prog = p {
            out.append((String(cString: bpf_program__name(prog)), String(cString: bpf_program__section_name(prog))))
            p = bpf_object__next_program(object, prog)
        }
        return out
    }

    /// Sets a map's size before load (the ring buffer, sized for bursts).
    public func setMaxEntries(map: String, _ entries: UInt32) throws {
        guard let m = bpf_object__find_map_by_name(object, map) else { throw BPFError.map(name: map, errno: ENOENT) }
        let rc = bpf_map__set_max_entries(m, entries)
        if rc < 0 { throw BPFError.map(name: map, errno: -rc) }
    }

    /// Uses an existing map (the shared ring buffer of another object) instead of creating one.
    public func reuse(map: String, fd: Int32) throws {
        guard let m = bpf_object__find_map_by_name(object, map) else { throw BPFError.map(name: map, errno: ENOENT) }
        let rc = bpf_map__reuse_fd(m, fd)
        if rc < 0 { throw BPFError.map(name: map, errno: -rc) }
    }

    /// Sets a `const volatile` global before load (the values live in the
    /// object's .rodata map; BTF says where each variable sits in it).
    /// Objects without that variable are left alone: returns false.
    @discardableResult
    public func setReadOnlyGlobal(_ variable: String, _ value: UInt32) throws -> Bool {
        guard let map = bpf_object__find_map_by_name(object, ".rodata"),
              let btf = bpf_object__btf(object) else { return false }
        let section = btf__find_by_name_kind(btf, ".rodata", 15 /* BTF_KIND_DATASEC */)
        guard section > 0, let type = btf__type_by_id(btf, UInt32(section)) else { return false }
        var size = 0
        guard let initial = bpf_map__initial_value(map, &size) else { return false }
        let vars = btf_var_secinfos(type)
        for i in 0..<Int(btf_vlen(type)) {
            let info = vars![i]
            guard let v = btf__type_by_id(btf, info.type),
                  let cname = btf__name_by_offset(btf, v.pointee.name_off),
                  String(cString: cname) == variable else { continue }
            guard info.size == 4, Int(info.offset) + 4 <= size else { throw BPFError.map(name: variable, errno: EINVAL) }
            var data = [UInt8](UnsafeRawBufferPointer(start: initial, count: size))
            withUnsafeBytes(of: value.littleEndian) { data.replaceSubrange(Int(info.offset)..<Int(info.offset) + 4, with: $0) }
            let rc = data.withUnsafeBytes { bpf_map__set_initial_value(map, $0.baseAddress, size) }
            if rc < 0 { throw BPFError.map(name: variable, errno: -rc) }
            return true
        }
        return false
    }

    /// Leaves a program out of load and attach (one the kernel cannot take).
    public func setAutoload(program: String, _ on: Bool) throws {
        guard let prog = bpf_object__find_program_by_name(object, program) else {
            throw BPFError.map(name: program, errno: ENOENT)
        }
        let rc = bpf_program__set_autoload(prog, on)
        if rc < 0 { throw BPFError.map(name: program, errno: -rc) }
    }

    public func load() throws {
        _ = LibbpfLog.take()
        let rc = bpf_object__load(object)
        if rc < 0 { throw BPFError.load(object: name, errno: -rc, detail: LibbpfLog.take()) }
    }

    public func mapFD(_ map: String) throws -> Int32 {
        guard let m = bpf_object__find_map_by_name(object, map) else { throw BPFError.map(name: map, errno: ENOENT) }
        let fd = bpf_map__fd(m)
        if fd < 0 { throw BPFError.map(name: map, errno: -fd) }
        return fd
    }

    /// Attaches every program of the object by its section name.
    public func attachAll() throws -> [BPFLink] {
        var links: [BPFLink] = []
        var p = bpf_object__next_program(object, nil)
        while let prog = p {
            let programName = String(cString: bpf_program__name(prog))
            guard bpf_program__autoload(prog) else {
                p = bpf_object__next_program(object, prog)
                continue
            }
            guard let link = bpf_program__attach(prog) else { throw BPFError.attach(program: programName, errno: errno) }
            links.append(BPFLink(link: link, program: programName))
            p = bpf_object__next_program(object, prog)
        }
        return links
    }
}
