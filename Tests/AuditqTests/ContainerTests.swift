import Foundation
import XCTest

/// Real containers (runc and crun, a busybox rootfs) while auditqd collects
/// with its sensor: every event of each names its container with the full
/// id, runtime and metadata; host processes name none. One container per
/// runtime layout, short-lived ones (each exits within milliseconds, before
/// any /proc read could happen), a long-lived one across a collector
/// restart, two of the same image, and a nested one.
final class ContainerTests: XCTestCase {
    struct Line: Decodable {
        var id: Int64
        var pid: Int64?
        var types: [String]
        var syscall: String?
        var path: String?
        var argv: [String]?
        var container: Named?
        struct Named: Decodable, Equatable {
            var id: String
            var runtime: String
            var name: String?
            var image: String?
            var pod: String?
            var pod_namespace: String?
        }
    }

    struct Listed: Decodable {
        var containers: [Entry]
        var sensor_events: Int64
        struct Entry: Decodable {
            var container: Body
            var events: Int64
            var audit_events: Int64
            var removed: String?
            struct Body: Decodable {
                var id: String
                var runtime: String
                var name: String?
                var image: String?
                var pod: Pod?
                var grants: Grants?
                var notes: [String]
                struct Pod: Decodable { var name: String?; var namespace: String?; var uid: String? }
                struct Grants: Decodable {
                    var privileged: Bool
                    var hostNamespaces: [String]
                    var addedCapabilities: [String]
                    var hostMounts: [String]
                    var seccompOff: Bool
                }
            }
        }
    }

    static func runtimeName(_ layout: ContainerLayout) -> String {
        switch layout {
        case .dockerCgroupfs, .dockerSystemd: return "docker"
        case .containerdCRI: return "containerd"
        case .crio: return "cri-o"
        case .podman: return "podman"
        case .runcPlain: return "runc"
        case .crunPlain: return "crun"
        case .nspawn: return "systemd-nspawn"
        case .lxc: return "lxc"
        }
    }

    static func lines(_ out: String) -> [Line] {
        out.split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    func prerequisites() throws {
        if let why = ContainerHarness.unavailable() { throw TestSupport.missing(why) }
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
    }

    func testEveryRuntimeLayoutNamesItsContainer() throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("c.db").path
            let key = KernelAudit.uniqueKey("ctr")
            defer { KernelAudit.removeRules(key: key) }
            let rules = dir.appendingPathComponent("r.rules").path
            try "-a always,exit -F arch=b64 -S execve,mkdir -k \(key)\n".write(toFile: rules, atomically: true, encoding: .utf8)
            let harness = try ContainerHarness(tag: "attr")
            defer { harness.cleanUp() }
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)

            // One short-lived container per layout; the two docker ones share an image.
            var made: [(ContainerLayout, TestContainer, String)] = []
            for (i, layout) in ContainerLayout.allCases.enumerated() {
                let mark = "mk\(i)-\(key)"
                let image = Self.runtimeName(layout) == "docker" ? "busybox:shared" : "busybox:\(i)"
                var grants = ContainerHarness.Grants()
                if layout == .dockerCgroupfs {
                    grants = .init(privileged: false, hostPID: true, capAdd: ["NET_ADMIN"],
                                   hostMount: ("/var/run", "/host-run"), seccompUnconfined: true)
                }
                let c = try harness.make(layout, name: "n\(i)", image: image, grants: grants)
                // mkdir, a process that lives ~1 ms, mkdir again: all within a few ms.
                let r = try harness.run(c, script: "mkdir /\(mark); /bin/busybox true; mkdir /\(mark)-2")
                XCTAssertEqual(r.status, 0, "\(layout): \(r.out)")
                made.append((layout, c, mark))
            }
            // Nested: a plain runc container in a cgroup below a running docker one.
            let outer = try harness.make(.dockerCgroupfs, name: "outer", image: "busybox:outer")
            _ = try harness.start(outer, script: "sleep 30")
            let inner = try harness.makeNested(in: outer, name: "inner")
            let nestedMark = "nest-\(key)"
            XCTAssertEqual(try harness.run(inner, script: "mkdir /\(nestedMark)").status, 0)
            harness.stop(outer)
            // A host process with the same rule: no container.
            let hostDir = dir.appendingPathComponent("host-\(key)").path
            XCTAssertEqual(try TestSupport.run("/bin/mkdir", [hostDir]).status, 0)

            TestSupport.wait(timeout: 30) {
                made.allSatisfy { TestSupport.storedCount(store, ["-k", key, "-f", "\($0.2)-2"]) >= 1 }
                    && TestSupport.storedCount(store, ["-k", key, "-f", nestedMark]) >= 1
                    && TestSupport.storedCount(store, ["-k", key, "-f", hostDir]) >= 1
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            for (layout, c, mark) in made {
                let runtime = Self.runtimeName(layout)
                // Its marks, and every execve and mkdir of its processes.
                let marks = Self.lines(try TestSupport.auditq(["search", "--store", store, "-k", key, "-f", mark, "--format", "json"]).out)
                XCTAssertEqual(marks.count, 2, "\(layout): both mkdirs stored")
                // runc and crun record no image anywhere.
                let image: String? = [.runcPlain, .crunPlain].contains(layout) ? nil : c.image
                for line in marks {
                    XCTAssertEqual(line.container?.id, c.id, "\(layout): event #\(line.id) names the full id")
                    XCTAssertEqual(line.container?.runtime, runtime, "\(layout)")
                    XCTAssertEqual(line.container?.name, c.name, "\(layout): name from the metadata")
                    XCTAssertEqual(line.container?.image, image, "\(layout): image from the metadata")
                }
                let mine = Self.lines(try TestSupport.auditq(["search", "--store", store, "--container", c.id, "--format", "json"]).out)
                XCTAssertTrue(mine.allSatisfy { $0.container?.id == c.id }, "\(layout): --container gives its events only")
                let execs = mine.filter { $0.syscall == "execve" }
                // sh (the container's process) and `busybox true` (mkdir is
                // one of busybox sh's in-process applets).
                XCTAssertGreaterThanOrEqual(execs.count, 2, "\(layout): \(execs.map { $0.argv ?? [] })")
                XCTAssertTrue(execs.contains { $0.argv == ["/bin/busybox", "true"] }, "\(layout): the 1 ms process")
                XCTAssertTrue(mine.contains { $0.types == ["TP_EXEC"] }, "\(layout): the sensor's events too")
                if let pod = c.pod {
                    XCTAssertEqual(marks.first?.container?.pod, pod.name, "\(layout)")
                    XCTAssertEqual(marks.first?.container?.pod_namespace, pod.namespace, "\(layout)")
                    let byPod = Self.lines(try TestSupport.auditq(["search", "--store", store, "--pod", pod.name, "-k", key, "--format", "json"]).out)
                    XCTAssertTrue(!byPod.isEmpty && byPod.allSatisfy { $0.container?.id == c.id }, "\(layout): --pod")
                }
            }
            // A docker-style prefix names the container; the shared image names both docker ones.
            let docker = made.first { $0.0 == .dockerCgroupfs }!.1
            XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--container", String(docker.id.prefix(12)), "-k", key]).status, 0)
            let shared = Self.lines(try TestSupport.auditq(["search", "--store", store, "--image", "busybox:shared", "-k", key, "-sc", "mkdir", "--format", "json"]).out)
            XCTAssertEqual(Set(shared.compactMap { $0.container?.id }), Set(made.filter { Self.runtimeName($0.0) == "docker" }.map { $0.1.id }))

            // Nested: the inner container, not the outer one.
            let nested = Self.lines(try TestSupport.auditq(["search", "--store", store, "-k", key, "-f", nestedMark, "--format", "json"]).out)
            XCTAssertEqual(nested.map { $0.container?.id }, [inner.id], "the nested container, not the one around it")
            XCTAssertEqual(nested.first?.container?.runtime, "runc")

            // The host's mkdir names no container, and --host-only finds it.
            let host = Self.lines(try TestSupport.auditq(["search", "--store", store, "-k", key, "-f", hostDir, "--format", "json"]).out)
            XCTAssertEqual(host.count, 1)
            XCTAssertNil(host.first?.container)
            XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--host-only", "-k", key, "-f", hostDir]).status, 0)
            XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--host-only", "-k", key, "-f", made[0].2]).status, 1)
            XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--container", "no-such-container"]).status, 1)

            // The list: every container, its runtime, and the bundle audit.
            let listed = try JSONDecoder().decode(Listed.self, from: Data(try TestSupport.auditq(["containers", "--store", store, "--format", "json"]).out.utf8))
            for (layout, c, _) in made {
                guard let entry = listed.containers.first(where: { $0.container.id == c.id }) else {
                    XCTFail("\(layout): \(c.id) not listed"); continue
                }
                XCTAssertEqual(entry.container.runtime, Self.runtimeName(layout))
                XCTAssertGreaterThan(entry.audit_events, 0, "\(layout)")
                XCTAssertNotNil(entry.removed, "\(layout): its cgroup was removed")
                XCTAssertTrue(entry.container.notes.isEmpty, "\(layout): \(entry.container.notes)")
            }
            let grants = listed.containers.first { $0.container.id == docker.id }?.container.grants
            XCTAssertEqual(grants?.hostNamespaces, ["pid"])
            XCTAssertEqual(grants?.addedCapabilities, ["CAP_NET_ADMIN"])
            XCTAssertEqual(grants?.seccompOff, true)
            XCTAssertEqual(grants?.hostMounts.first?.hasPrefix("/var/run:/host-run"), true, "\(grants?.hostMounts ?? [])")
            let text = try TestSupport.auditq(["containers", "--store", store]).out
            XCTAssertTrue(text.contains(String(docker.id.prefix(12))) && text.contains("host pid") && text.contains("+CAP_NET_ADMIN"), text)

            // Reports and compliance take the same options.
            let executables = try TestSupport.auditq(["report", "executable", "--store", store, "--container", docker.id, "--summary"])
            XCTAssertEqual(executables.status, 0, executables.stderr)
            XCTAssertTrue(executables.out.contains("/bin/busybox") && !executables.out.contains("/usr/bin/mkdir"), executables.out)
            let hostExecutables = try TestSupport.auditq(["report", "executable", "--store", store, "--host-only", "--summary"]).out
            XCTAssertTrue(hostExecutables.contains("/usr/bin/mkdir"), hostExecutables)
            let compliance = try TestSupport.auditq(["report", "compliance", "--policy", "pci-dss-v4", "--store", store,
                                                     "--container", docker.id, "--format", "json"])
            XCTAssertTrue(compliance.out.contains("--container \(docker.id)"), "the evidence commands keep the scope")

            // The tree and the timeline mark where a process crosses into the container.
            let first = Self.lines(try TestSupport.auditq(["search", "--store", store, "-k", key, "-f", made[0].2, "--format", "json"]).out)
            if let pid = first.first?.pid {
                let tree = try TestSupport.auditq(["tree", "--store", store, String(pid)]).out
                XCTAssertTrue(tree.contains("[enters container docker \(docker.id.prefix(12))"), tree)
                let timeline = try TestSupport.auditq(["timeline", "--store", store, "-p", String(pid)]).out
                XCTAssertTrue(timeline.contains("-- in container docker \(docker.id.prefix(12))"), timeline)
            }
            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        }
    }

    /// A container that outlives its collector: the restart finds its cgroup
    /// (no row written twice), events after the restart are still its own,
    /// and after the container is gone every event still names it.
    func testAttributionSurvivesRestartAndTheContainersEnd() throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("c.db").path
            let key = KernelAudit.uniqueKey("ctrlong")
            defer { KernelAudit.removeRules(key: key) }
            let rules = dir.appendingPathComponent("r.rules").path
            try "-a always,exit -F arch=b64 -S mkdir -k \(key)\n".write(toFile: rules, atomically: true, encoding: .utf8)
            let harness = try ContainerHarness(tag: "long")
            defer { harness.cleanUp() }
            let c = try harness.make(.runcPlain, name: "longlived")

            var daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            // Makes a dir at once, then one each time the host's flag file says so.
            _ = try harness.start(c, script: "mkdir /before-\(key); while [ ! -e /run-once ]; do sleep 0.05; done; mkdir /after-\(key); sleep 30")
            TestSupport.wait(timeout: 20) { TestSupport.storedCount(store, ["-k", key, "-f", "before-\(key)"]) >= 1 }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            try harness.touch(c, "/run-once")
            TestSupport.wait(timeout: 20) { TestSupport.storedCount(store, ["-k", key, "-f", "after-\(key)"]) >= 1 }
            harness.stop(c)
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            for mark in ["before-\(key)", "after-\(key)"] {
                let found = Self.lines(try TestSupport.auditq(["search", "--store", store, "-k", key, "-f", mark, "--format", "json"]).out)
                XCTAssertEqual(found.count, 1, mark)
                XCTAssertEqual(found.first?.container?.id, c.id, "\(mark) names the container after it is gone")
                XCTAssertEqual(found.first?.container?.runtime, "runc")
            }
            // The restart wrote no second row for the same cgroup and container.
            let listed = try JSONDecoder().decode(Listed.self, from: Data(try TestSupport.auditq(["containers", "--store", store, "--format", "json"]).out.utf8))
            XCTAssertEqual(listed.containers.filter { $0.container.id == c.id }.count, 1)
            let rows = try TestSupport.run("/usr/bin/sqlite3", [store, "SELECT count(*) FROM coverage WHERE kind = 'container' AND detail LIKE '%\(c.id)%'"])
            XCTAssertEqual(rows.out.trimmingCharacters(in: .whitespacesAndNewlines), "1", "one container row across the restart")
        }
    }

    /// A store of imported audit.log files: no cgroup anywhere, and
    /// `auditq containers` says so instead of guessing.
    func testImportedLogsSayTheyCarryNoCgroup() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("i.db").path
        let log = try XCTUnwrap(TestSupport.corpusLogs().first)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, log.path]).status, 0)
        let out = try TestSupport.auditq(["containers", "--store", store])
        XCTAssertEqual(out.status, 0)
        XCTAssertTrue(out.out.contains("audit records carry no cgroup") && out.out.contains("imported audit.log files never can"), out.out)
        let search = try TestSupport.auditq(["search", "--store", store, "--container", "abc"])
        XCTAssertEqual(search.status, 1)
        XCTAssertTrue(search.stderr.contains("the store knows no containers"), search.stderr)
    }
}
