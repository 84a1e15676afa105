import Foundation
import XCTest
@testable import AuditContainers

/// `CgroupLayout` against every layout it knows (and host paths it must not
/// claim), and `RuntimeState` against real runc and crun containers.
final class ContainerLayoutTests: XCTestCase {
    private static let idA = String(repeating: "4c01db0b", count: 8)
    private static let idB = String(repeating: "e5f6a7b8", count: 8)
    private static let podUID = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
    /// The same uid as kubelet's systemd driver writes it into a slice name.
    private static let podSlice = podUID.replacingOccurrences(of: "-", with: "_")
    private static let rootlessUser = "/user.slice/user-1000.slice/user@1000.service"

    private struct Row {
        var path: String
        var expected: CgroupIdentity?
    }

    private static func row(_ path: String, _ runtime: ContainerRuntime, _ id: String, role: CgroupIdentity.Role = .container,
                            rootless: Bool = false, podUID: String? = nil) -> Row {
        Row(path: path, expected: CgroupIdentity(runtime: runtime, id: id, role: role, rootless: rootless, podUID: podUID))
    }

    private static func host(_ path: String) -> Row { Row(path: path, expected: nil) }

    private static let rows: [Row] = {
        let a = idA, b = idB, uid = podUID, slice = podSlice
        let burstable = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(slice).slice"
        return [
            // docker
            row("/system.slice/docker-\(a).scope", .docker, a),
            row("/docker/\(a)", .docker, a),
            row("/ci/docker/\(a)", .docker, a),
            row("/docker/\(a)/docker/\(b)", .docker, b),
            row("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(slice).slice/docker-\(a).scope", .docker, a, podUID: uid),
            row("\(rootlessUser)/user.slice/docker-\(a).scope", .docker, a, rootless: true),
            // containerd (CRI)
            row("\(burstable)/cri-containerd-\(a).scope", .containerd, a, podUID: uid),
            row("/kubepods.slice/kubepods-pod\(slice).slice/cri-containerd-\(a).scope", .containerd, a, podUID: uid),
            row("/kubepods/besteffort/pod\(uid)/\(a)", .containerd, a, podUID: uid),
            row("/kubepods/pod\(uid)/\(a)", .containerd, a, podUID: uid),
            // CRI-O
            row("\(burstable)/crio-\(a).scope", .crio, a, podUID: uid),
            row("\(burstable)/crio-\(a).scope/container", .crio, a, podUID: uid),
            row("\(burstable)/crio-conmon-\(a).scope", .crio, a, role: .monitor, podUID: uid),
            row("/kubepods/burstable/pod\(uid)/crio-\(a)", .crio, a, podUID: uid),
            row("/kubepods/burstable/pod\(uid)/crio-conmon-\(a)", .crio, a, role: .monitor, podUID: uid),
            // podman
            row("/machine.slice/libpod-\(a).scope", .podman, a),
            row("/machine.slice/libpod-\(a).scope/container", .podman, a),
            row("/machine.slice/libpod-conmon-\(a).scope", .podman, a, role: .monitor),
            row("/machine.slice/machine-libpod_pod_\(b).slice/libpod-\(a).scope", .podman, a),
            row("\(rootlessUser)/user.slice/libpod-\(a).scope", .podman, a, rootless: true),
            row("\(rootlessUser)/user.slice/libpod-conmon-\(a).scope", .podman, a, role: .monitor, rootless: true),
            row("/user.slice/user-0.slice/user@0.service/user.slice/libpod-\(a).scope", .podman, a),
            row("/libpod_parent/libpod-\(a)", .podman, a),
            // systemd-nspawn
            row(#"/machine.slice/machine-my\x2dbox.scope"#, .nspawn, "my-box"),
            row("/machine.slice/machine-web.scope/payload/system.slice/nginx.service", .nspawn, "web"),
            row("/machine.slice/machine-web.scope/supervisor", .nspawn, "web", role: .monitor),
            row(#"/machine.slice/systemd-nspawn@arch\x2dbuild.service/payload"#, .nspawn, "arch-build"),
            // LXC
            row("/lxc.payload.web", .lxc, "web"),
            row("/lxc.payload.web/system.slice/cron.service", .lxc, "web"),
            row("/lxc.monitor.web", .lxc, "web", role: .monitor),
            row("/lxc/web", .lxc, "web"),
            row("\(rootlessUser)/lxc.payload.u1", .lxc, "u1", rootless: true),
            row("/lxc.payload.web/system.slice/docker-\(a).scope", .docker, a),
            // The host, and near misses.
            host("/"),
            host("/init.scope"),
            host("/system.slice/ssh.service"),
            host("/system.slice/docker.service"),
            host("/system.slice/containerd.service"),
            host("/user.slice/user-0.slice/session-3.scope"),
            host("\(rootlessUser)/app.slice/dbus.service"),
            host("/docker"),
            host("/docker/abc"),
            host("/docker/\(a.uppercased())"),
            host("/system.slice/docker-\(a.dropLast()).scope"),
            host("/system.slice/docker-\(a)0.scope"),
            host(#"/machine.slice/machine-qemu\x2d1\x2dfedora.scope"#),
            host("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(slice).slice"),
        ]
    }()

    func testEveryLayoutRow() {
        var seen = 0
        for row in Self.rows {
            XCTAssertEqual(CgroupLayout.identify(row.path), row.expected, row.path)
            seen += 1
        }
        XCTAssertEqual(seen, Self.rows.count)
        XCTAssertGreaterThan(seen, 40)
    }

    /// Every rule in the table is exercised by some row.
    func testEveryRuleHasARow() {
        let matched = Set(Self.rows.compactMap { row -> String? in
            let components = row.path.split(separator: "/").map(String.init)
            for index in components.indices.reversed() {
                if let rule = CgroupLayout.rules.first(where: { $0.match(components[index], components[..<index]) != nil }) {
                    return rule.layout
                }
            }
            return nil
        })
        XCTAssertFalse(CgroupLayout.rules.isEmpty)
        for rule in CgroupLayout.rules {
            XCTAssertTrue(matched.contains(rule.layout), "no row for \(rule.layout)")
        }
    }

    /// A systemd driver's "slice:prefix:name" becomes the path the rules see.
    func testSystemdCgroupsPathsBecomeTheScopesTheRulesMatch() {
        let cases: [(given: String, path: String, runtime: ContainerRuntime, podUID: String?)] = [
            ("system.slice:docker:\(Self.idA)", "/system.slice/docker-\(Self.idA).scope", .docker, nil),
            ("kubepods-burstable-pod\(Self.podSlice).slice:cri-containerd:\(Self.idA)",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(Self.podSlice).slice/cri-containerd-\(Self.idA).scope",
             .containerd, Self.podUID),
            ("machine.slice:libpod:\(Self.idA)", "/machine.slice/libpod-\(Self.idA).scope", .podman, nil),
            (":crio:\(Self.idA)", "/system.slice/crio-\(Self.idA).scope", .crio, nil),
        ]
        for item in cases {
            let path = RuntimeState.cgroupPath(fromCgroupsPath: item.given)
            XCTAssertEqual(path, item.path, item.given)
            XCTAssertEqual(path.flatMap(CgroupLayout.identify),
                           CgroupIdentity(runtime: item.runtime, id: Self.idA, podUID: item.podUID), item.given)
        }
        XCTAssertEqual(RuntimeState.expandSlice("-.slice"), "")
        XCTAssertNil(RuntimeState.expandSlice("a--b.slice"))
        XCTAssertNil(RuntimeState.expandSlice("kubepods"))
    }

    func testMountedCgroupPathsBecomeRelative() {
        XCTAssertEqual(RuntimeState.cgroupPath(mountedAt: "/sys/fs/cgroup/unified/auditq-test/x1", controller: ""), "/auditq-test/x1")
        XCTAssertEqual(RuntimeState.cgroupPath(mountedAt: "/sys/fs/cgroup/system.slice/docker-\(Self.idA).scope", controller: ""),
                       "/system.slice/docker-\(Self.idA).scope")
        XCTAssertEqual(RuntimeState.cgroupPath(mountedAt: "/sys/fs/cgroup/cpu,cpuacct/auditq-test/x1", controller: "cpu"), "/auditq-test/x1")
        XCTAssertEqual(RuntimeState.cgroupPath(mountedAt: "/sys/fs/cgroup/systemd/auditq-test/x1", controller: "name=systemd"), "/auditq-test/x1")
        XCTAssertNil(RuntimeState.cgroupPath(mountedAt: "/elsewhere/x1", controller: ""))
        XCTAssertEqual(RuntimeState.cgroupPath(fromCgroupsPath: "/sys/fs/cgroup/unified/a/b/"), "/a/b")
        XCTAssertEqual(RuntimeState.cgroupPath(fromCgroupsPath: "/a/b/"), "/a/b")
    }

    // MARK: - RuntimeState

    /// State roots with one good entry each beside malformed, half-written
    /// and stray ones: the good ones are found, the rest skipped.
    func testScanSkipsWhatItCannotRead() throws {
        let root = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ relative: String, _ text: String) throws {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("containerd/k8s.io/good/state.json", """
            {"id":"good","init_process_pid":41,"config":{"labels":["io.example=1","bundle=/b/good"],
             "cgroups":{"path":"","parent":"kubepods-pod\(Self.podSlice).slice","scope_prefix":"cri-containerd","name":"\(Self.idA)","Systemd":true}}}
            """)
        try write("containerd/k8s.io/truncated/state.json", #"{"id":"truncated","init_process_pid":"#)
        try write("containerd/k8s.io/wrong-types/state.json", #"{"id":7}"#)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("containerd/k8s.io/empty"), withIntermediateDirectories: true)
        try write("containerd/stray-file", "x")
        try write("crun/c1/status", #"{"pid":42,"cgroup-path":"/tenant/c1","bundle":"/b/c1","systemd-cgroup":false}"#)
        try write("crun/c2/status", "")

        let roots = [RuntimeState.Root(directory: root.path + "/containerd/*", runtime: .runc),
                     RuntimeState.Root(directory: root.path + "/crun", runtime: .crun),
                     RuntimeState.Root(directory: root.path + "/missing/*", runtime: .runc)]
        let entries = RuntimeState.scan(roots: roots)
        XCTAssertEqual(entries, [
            RuntimeState.Entry(runtime: .runc, id: "good", bundle: "/b/good",
                               cgroupPaths: ["/kubepods.slice/kubepods-pod\(Self.podSlice).slice/cri-containerd-\(Self.idA).scope"],
                               stateFile: root.path + "/containerd/k8s.io/good/state.json", initPid: 41),
            RuntimeState.Entry(runtime: .crun, id: "c1", bundle: "/b/c1", cgroupPaths: ["/tenant/c1"],
                               stateFile: root.path + "/crun/c1/status", initPid: 42),
        ])
        XCTAssertEqual(RuntimeState.entry(forCgroup: "/tenant/c1/sub", roots: roots)?.id, "c1")
        XCTAssertNil(RuntimeState.entry(forCgroup: "/tenant/c10", roots: roots))
    }

    /// Real runc and crun containers (detached busybox sleep), found by
    /// `scan()` in their default state roots with the bundle and cgroup
    /// they were given.
    func testScanFindsRealRuncAndCrunContainers() throws {
        guard getuid() == 0 else { throw TestSupport.missing("runc and crun need root") }
        guard let runc = TestSupport.which("runc"), let crun = TestSupport.which("crun") else {
            throw TestSupport.missing("runc or crun not installed")
        }
        guard let busybox = TestSupport.which("busybox") else { throw TestSupport.missing("busybox not installed") }

        let tag = "auditq-test-\(UUID().uuidString.prefix(8).lowercased())"
        let work = TestSupport.temporaryDirectory()
        addTeardownBlock { [self] in
            _ = try? runTool(runc, ["delete", "-f", "\(tag)-runc"])
            _ = try? runTool(crun, ["delete", "-f", "\(tag)-crun"])
            XCTAssertTrue(TestSupport.wait(timeout: 10) { Self.removeCgroups(named: tag) }, "cgroup directories for \(tag) left behind")
            try? FileManager.default.removeItem(at: work)
        }

        var started: [(runtime: ContainerRuntime, id: String, bundle: String, cgroup: String)] = []
        for (runtime, tool) in [(ContainerRuntime.runc, runc), (.crun, crun)] {
            let id = "\(tag)-\(runtime.rawValue)", cgroup = "/\(tag)/\(runtime.rawValue)"
            let bundle = try makeBundle(in: work.appendingPathComponent(runtime.rawValue), runc: runc, busybox: busybox, cgroupsPath: cgroup)
            var result = try runTool(tool, ["run", "-d", "--bundle", bundle, id])
            // crun refuses a hybrid host whose v2 hierarchy has controllers
            // (here hugetlb). Hiding /sys/fs/cgroup/unified in a private
            // mount namespace makes crun use the v1 hierarchies only; the
            // state it writes is the same, and nothing on the host changes.
            if result.status != 0, result.stderr.contains("hybrid mode"), let unshare = TestSupport.which("unshare") {
                result = try runTool(unshare, ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                               #"mount -t tmpfs auditq-hides-unified /sys/fs/cgroup/unified && exec "$0" "$@""#,
                                               tool, "run", "-d", "--bundle", bundle, id])
            }
            XCTAssertEqual(result.status, 0, "\(tool) run: \(result.stderr)")
            started.append((runtime, id, bundle, cgroup))
        }

        let entries = RuntimeState.scan()
        var seen = 0
        for container in started {
            guard let entry = entries.first(where: { $0.id == container.id }) else {
                XCTFail("scan() did not find \(container.id) in \(entries.map(\.id))")
                continue
            }
            seen += 1
            XCTAssertEqual(entry.runtime, container.runtime)
            XCTAssertEqual(entry.bundle, container.bundle)
            XCTAssertEqual(entry.cgroupPaths, [container.cgroup])
            XCTAssertEqual(RuntimeState.entry(forCgroup: container.cgroup)?.id, container.id)
            // The kernel agrees: the init process is in that cgroup.
            let pid = try XCTUnwrap(entry.initPid)
            let cgroups = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
            XCTAssertTrue(cgroups.split(separator: "\n").contains { $0.hasSuffix(":" + container.cgroup) }, cgroups)

            // What the bundle `runc spec` made grants: three default
            // capabilities, the five usual namespaces, and no seccomp filter.
            let read = ContainerMetadataReader().read(CgroupIdentity(runtime: container.runtime, id: container.id), state: entry)
            XCTAssertEqual(read.name, container.id)
            XCTAssertEqual(read.grants, Container.Grants(seccompOff: true, runsAsRoot: true,
                                                         capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]))
            XCTAssertEqual(read.sources, [container.bundle + "/config.json"])
            XCTAssertEqual(read.notes, [])
        }
        XCTAssertEqual(seen, 2)
    }

    // MARK: - Helpers

    /// A bundle from `runc spec`, with busybox sleeping as its process.
    private func makeBundle(in directory: URL, runc: String, busybox: String, cgroupsPath: String) throws -> String {
        let bin = directory.appendingPathComponent("rootfs/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: busybox, toPath: bin.appendingPathComponent("busybox").path)
        let spec = try runTool(runc, ["spec", "--bundle", directory.path])
        XCTAssertEqual(spec.status, 0, spec.stderr)
        let configURL = directory.appendingPathComponent("config.json")
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var process = try XCTUnwrap(config["process"] as? [String: Any])
        process["terminal"] = false
        process["args"] = ["/bin/busybox", "sleep", "600"]
        config["process"] = process
        var linux = try XCTUnwrap(config["linux"] as? [String: Any])
        linux["cgroupsPath"] = cgroupsPath
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return directory.path
    }

    /// Runs a runtime command with a deadline. Its output goes to a file,
    /// not a pipe: a detached container inherits the descriptors, and a
    /// pipe would stay open as long as the container runs.
    private func runTool(_ tool: String, _ arguments: [String], timeout: TimeInterval = 30) throws -> (status: Int32, stderr: String) {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("auditq-runtime-\(UUID().uuidString).err")
        try Data().write(to: errors)
        defer { try? FileManager.default.removeItem(at: errors) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errorHandle = try FileHandle(forWritingTo: errors)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            XCTFail("\(tool) \(arguments.joined(separator: " ")) still running after \(timeout) s")
            return (-1, "")
        }
        return (process.terminationStatus, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }

    /// Removes the cgroup tree `name` from every hierarchy (each v1
    /// controller and the v2 one); true once none is left. rmdir fails
    /// while a killed container's processes are still exiting.
    private static func removeCgroups(named name: String) -> Bool {
        let top = "/sys/fs/cgroup"
        let hierarchies = [top] + ((try? FileManager.default.contentsOfDirectory(atPath: top)) ?? []).map { top + "/" + $0 }
        var left = false
        for hierarchy in hierarchies {
            let tree = hierarchy + "/" + name
            guard FileManager.default.fileExists(atPath: tree) else { continue }
            removeTree(tree)
            left = left || FileManager.default.fileExists(atPath: tree)
        }
        return !left
    }

    private static func removeTree(_ path: String) {
        for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + child, isDirectory: &isDirectory), isDirectory.boolValue {
                removeTree(path + "/" + child)
            }
        }
        rmdir(path)
    }
}
