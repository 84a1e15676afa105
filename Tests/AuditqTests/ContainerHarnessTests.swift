import Foundation
import XCTest

/// The harness itself: each layout's container really runs in the layout's
/// cgroup, and the cleanup leaves no cgroup and no metadata file behind.
final class ContainerHarnessTests: XCTestCase {
    func testEveryLayoutRunsARealContainer() throws {
        if let why = ContainerHarness.unavailable() { throw TestSupport.missing(why) }
        let fm = FileManager.default
        let hierarchies = ["/sys/fs/cgroup/unified"] + ((try? fm.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .filter { $0 != "unified" }.map { "/sys/fs/cgroup/" + $0 }
        func ancestors(_ path: String) -> [String] {
            let parts = path.split(separator: "/")
            return (1..<max(parts.count, 1)).map { "/" + parts.prefix($0).joined(separator: "/") }
        }

        // What the metadata lives under; those not here before must be gone after.
        let roots = ["/var/lib/docker", "/run/docker", "/run/containerd", "/run/containers", "/var/lib/containers", "/var/lib/lxc",
                     "/var/lib/containers/storage/overlay-containers/containers.json"]
        var absentBefore = Set(roots.filter { !fm.fileExists(atPath: $0) })
        let harness = try ContainerHarness(tag: "self")
        defer { harness.cleanUp() }
        var made: [TestContainer] = []
        func note(_ c: TestContainer) {
            made.append(c)
            for path in ancestors(c.cgroupPath) + [c.cgroupPath] {
                for hierarchy in hierarchies where !fm.fileExists(atPath: hierarchy + path) { absentBefore.insert(hierarchy + path) }
            }
            // Each file names the container's id, but podman's shared list.
            absentBefore.formUnion(c.metadata.filter { $0.contains(c.id) })
        }

        for layout in ContainerLayout.allCases {
            let c = try harness.make(layout, name: "\(layout)".lowercased())
            note(c)
            for file in c.metadata { XCTAssertTrue(fm.fileExists(atPath: file), "\(layout): \(file) written") }
            let r = try harness.run(c, script: "cat /proc/self/cgroup")
            XCTAssertEqual(r.status, 0, "\(layout): \(r.err)")
            XCTAssertTrue(r.out.split(separator: "\n").contains { $0 == "0::" + c.cgroupPath }, "\(layout): \(r.out)")
            if c.pod != nil { XCTAssertTrue(c.cgroupPath.contains("-pod"), c.cgroupPath) }
        }

        // Grants, a detached container, and one nested in its cgroup.
        let grants = ContainerHarness.Grants(hostPID: true, capAdd: ["NET_ADMIN"], hostMount: ("/proc/sys/kernel", "/host-kernel"),
                                             seccompUnconfined: true)
        let outer = try harness.make(.dockerCgroupfs, name: "outer", grants: grants)
        note(outer)
        let pid = try harness.start(outer, script: "sleep 60")
        XCTAssertTrue(try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).contains("0::" + outer.cgroupPath + "\n"))
        let hostConfig = try String(contentsOfFile: "/var/lib/docker/containers/\(outer.id)/hostconfig.json", encoding: .utf8)
        XCTAssertTrue(hostConfig.contains(#""PidMode":"host""#) && hostConfig.contains(#""CapAdd":["CAP_NET_ADMIN"]"#), hostConfig)
        let inner = try harness.makeNested(in: outer, name: "inner")
        note(inner)
        let nested = try harness.run(inner, script: "cat /proc/self/cgroup; cat /proc/self/status")
        XCTAssertEqual(nested.status, 0, nested.err)
        XCTAssertTrue(nested.out.contains("0::\(outer.cgroupPath)/nested-inner\n"), nested.out)
        XCTAssertTrue(nested.out.contains("Seccomp:\t2"), "a default container has a seccomp filter: \(nested.out)")
        harness.stop(outer)
        XCTAssertTrue(TestSupport.wait(timeout: 10) { kill(pid, 0) != 0 }, "the detached container's init is gone")
        XCTAssertEqual(made.count, ContainerLayout.allCases.count + 2)

        harness.cleanUp()
        for c in made {
            for hierarchy in hierarchies {
                XCTAssertFalse(fm.fileExists(atPath: hierarchy + c.cgroupPath), "\(c.layout): \(hierarchy + c.cgroupPath) left")
            }
            for file in c.metadata where absentBefore.contains(file) {
                XCTAssertFalse(fm.fileExists(atPath: file), "\(c.layout): \(file) left")
            }
        }
        let left = absentBefore.filter { fm.fileExists(atPath: $0) }.sorted()
        XCTAssertEqual(left, [], "cgroups and files the harness made")
        XCTAssertFalse(fm.fileExists(atPath: harness.directory.path))
    }
}
