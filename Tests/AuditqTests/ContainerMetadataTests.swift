import Foundation
import XCTest
@testable import AuditContainers

/// `ContainerMetadataReader` over a temp directory standing in for "/",
/// holding each runtime's files as that runtime writes them.
final class ContainerMetadataTests: XCTestCase {
    private static let id = String(repeating: "4c01db0b", count: 8)
    private static let sandboxID = String(repeating: "e5f6a7b8", count: 8)
    private static let podUID = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"

    private var fileRoot: URL!
    private var reader: ContainerMetadataReader { ContainerMetadataReader(fileRoot: fileRoot.path) }

    override func setUp() {
        fileRoot = TestSupport.temporaryDirectory(name)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: fileRoot)
    }

    /// Writes `text` at the host path `path`, under the stand-in root.
    private func write(_ path: String, _ text: String) throws {
        let url = fileRoot.appendingPathComponent(String(path.dropFirst()))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    // MARK: - docker

    private static let dockerDirectory = "/var/lib/docker/containers/\(id)"

    private static let dockerConfig = """
        {"StreamConfig":{},"State":{"Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"RemovalInProgress":false,
         "Dead":false,"Pid":48211,"ExitCode":0,"Error":"","StartedAt":"2024-05-02T09:14:03.118Z","FinishedAt":"0001-01-01T00:00:00Z",
         "Health":null},"ID":"\(id)","Created":"2024-05-02T09:14:02.771Z","Managed":false,"Path":"/docker-entrypoint.sh",
         "Args":["nginx","-g","daemon off;"],"Config":{"Hostname":"4c01db0b4c01","Domainname":"","User":"","AttachStdin":false,
         "AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,
         "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","NGINX_VERSION=1.25.5"],
         "Cmd":["nginx","-g","daemon off;"],"Image":"nginx:1.25","Volumes":null,"WorkingDir":"",
         "Entrypoint":["/docker-entrypoint.sh"],"OnBuild":null,"Labels":{"com.example.team":"storefront",
         "maintainer":"NGINX Docker Maintainers <docker-maint@nginx.com>"},"StopSignal":"SIGQUIT"},
         "Image":"sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6",
         "ImageManifest":null,"NetworkSettings":{"Bridge":"","SandboxID":"\(sandboxID)","HairpinMode":false,"Networks":{}},
         "LogPath":"/var/lib/docker/containers/\(id)/\(id)-json.log","Name":"/web","Driver":"overlay2","OS":"linux",
         "RestartCount":0,"HasBeenStartedBefore":true,"HasBeenManuallyStopped":false,"MountPoints":{},"SecretReferences":null,
         "ConfigReferences":null,"MountLabel":"","ProcessLabel":"","AppArmorProfile":"docker-default",
         "SeccompProfile":"","NoNewPrivileges":false,"HostnamePath":"/var/lib/docker/containers/\(id)/hostname",
         "HostsPath":"/var/lib/docker/containers/\(id)/hosts","ResolvConfPath":"/var/lib/docker/containers/\(id)/resolv.conf",
         "ShmPath":"/var/lib/docker/containers/\(id)/mounts/shm","LocalLogCacheMeta":{"HaveNotifyEnabled":false}}
        """

    private static func dockerHostConfig(privileged: Bool) -> String {
        """
        {"Binds":["/var/run/docker.sock:/var/run/docker.sock","/srv/www:/usr/share/nginx/html:ro,Z","cache:/var/cache/nginx"],
         "ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"bridge",
         "PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},
         "AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[24,80],"CapAdd":["NET_ADMIN","CAP_CHOWN"],
         "CapDrop":null,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,
         "IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"host","Privileged":\(privileged),
         "PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":["seccomp=unconfined"],"UTSMode":"","UsernsMode":"",
         "ShmSize":67108864,"Runtime":"runc","Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"",
         "BlkioWeight":0,"Devices":[],"PidsLimit":null,"Ulimits":null,
         "Mounts":[{"Type":"bind","Source":"/etc/ssl/certs","Target":"/certs","ReadOnly":true},
                   {"Type":"volume","Source":"logs","Target":"/var/log/nginx"}],
         "MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore"],"ReadonlyPaths":["/proc/bus","/proc/fs"]}
        """
    }

    func testDockerConfigAndHostConfig() throws {
        try write(Self.dockerDirectory + "/config.v2.json", Self.dockerConfig)
        try write(Self.dockerDirectory + "/hostconfig.json", Self.dockerHostConfig(privileged: false))
        let identity = try XCTUnwrap(CgroupLayout.identify("/system.slice/docker-\(Self.id).scope"))
        let container = reader.read(identity, state: nil)
        XCTAssertEqual(container, Container(
            id: Self.id, runtime: .docker, name: "web", image: "nginx:1.25",
            labels: ["com.example.team": "storefront", "maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"],
            grants: Container.Grants(
                hostNamespaces: ["pid"], addedCapabilities: ["CAP_NET_ADMIN"],
                hostMounts: ["/var/run/docker.sock:/var/run/docker.sock", "/srv/www:/usr/share/nginx/html:ro", "/etc/ssl/certs:/certs:ro"],
                seccompOff: true, runsAsRoot: true,
                capabilities: DefaultContainer.capabilities.union(["CAP_NET_ADMIN"]).sorted()),
            sources: [Self.dockerDirectory + "/config.v2.json", Self.dockerDirectory + "/hostconfig.json"]))
    }

    func testDockerPrivilegedGetsEveryCapabilityAndNoSeccomp() throws {
        try write(Self.dockerDirectory + "/config.v2.json", Self.dockerConfig.replacingOccurrences(of: #""User":"""#, with: #""User":"101:101""#))
        try write(Self.dockerDirectory + "/hostconfig.json", Self.dockerHostConfig(privileged: true).replacingOccurrences(of: #"["seccomp=unconfined"]"#, with: "null"))
        let grants = try XCTUnwrap(reader.read(CgroupIdentity(runtime: .docker, id: Self.id), state: nil).grants)
        XCTAssertTrue(grants.privileged)
        XCTAssertTrue(grants.seccompOff)
        XCTAssertEqual(grants.runsAsRoot, false)
        XCTAssertEqual(grants.addedCapabilities.count, 41 - 14)
        XCTAssertTrue(grants.addedCapabilities.contains("CAP_SYS_ADMIN"))
    }

    /// Without hostconfig.json the grants come from the bundle docker gave runc.
    func testDockerFallsBackToItsBundle() throws {
        try write(Self.dockerDirectory + "/config.v2.json", Self.dockerConfig)
        let bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/\(Self.id)/config.json"
        try write(bundle, Self.criBundle(annotations: [:], extraMounts: #"{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","rprivate"]},"#))
        let container = reader.read(CgroupIdentity(runtime: .docker, id: Self.id), state: nil)
        XCTAssertEqual(container.name, "web")
        XCTAssertEqual(container.grants, Container.Grants(hostMounts: ["/srv/data:/data"], runsAsRoot: true,
                                                          capabilities: DefaultContainer.capabilities.sorted(), seccompAllowed: 2))
        XCTAssertEqual(container.sources, [Self.dockerDirectory + "/config.v2.json", bundle])
        XCTAssertEqual(container.notes, ["docker: \(Self.dockerDirectory)/hostconfig.json: no such file"])
    }

    // MARK: - Kubernetes

    /// A bundle as containerd's CRI plugin and CRI-O write it: docker's
    /// default capabilities, RuntimeDefault seccomp, the pod's namespaces
    /// joined by path, and the runtime's own files bound in.
    private static func criBundle(annotations: [String: String], extraMounts: String = "", bounding: [String]? = nil,
                                  namespaces: String? = nil, seccomp: Bool = true) -> String {
        let defaults = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
                        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
        let caps = String(decoding: try! JSONEncoder().encode(bounding ?? defaults), as: UTF8.self)
        let notes = String(decoding: try! JSONSerialization.data(withJSONObject: annotations, options: [.sortedKeys]), as: UTF8.self)
        let kubelet = "/var/lib/kubelet/pods/\(podUID)"
        let sandbox = "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/\(sandboxID)"
        return """
        {"ociVersion":"1.1.0","process":{"user":{"uid":0,"gid":0,"additionalGids":[0,1,2,3,4,6,10,11,20,26,27]},
         "args":["/docker-entrypoint.sh","nginx","-g","daemon off;"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
         "cwd":"/","capabilities":{"bounding":\(caps),"effective":\(caps),"permitted":\(caps)},"apparmorProfile":"cri-containerd.apparmor.d",
         "oomScoreAdj":1000},"root":{"path":"rootfs"},
         "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
          {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
          {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]},
          \(extraMounts)
          {"destination":"/etc/hosts","type":"bind","source":"\(kubelet)/etc-hosts","options":["rbind","rprivate","rw"]},
          {"destination":"/dev/termination-log","type":"bind","source":"\(kubelet)/containers/nginx/6f1d2c3b","options":["rbind","rprivate","rw"]},
          {"destination":"/etc/hostname","type":"bind","source":"\(sandbox)/hostname","options":["rbind","rprivate","rw"]},
          {"destination":"/etc/resolv.conf","type":"bind","source":"\(sandbox)/resolv.conf","options":["rbind","rprivate","rw"]},
          {"destination":"/dev/shm","type":"bind","source":"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/\(sandboxID)/shm","options":["rbind","rprivate","rw"]},
          {"destination":"/var/run/secrets/kubernetes.io/serviceaccount","type":"bind",
           "source":"\(kubelet)/volumes/kubernetes.io~projected/kube-api-access-7xq2m","options":["rbind","rprivate","ro"]}],
         "annotations":\(notes),
         "linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}],"memory":{},"cpu":{"shares":2,"period":100000}},
          "cgroupsPath":"kubepods-besteffort-pod\(podUID.replacingOccurrences(of: "-", with: "_")).slice:cri-containerd:\(id)",
          "namespaces":\(namespaces ?? #"[{"type":"pid"},{"type":"ipc","path":"/proc/48190/ns/ipc"},{"type":"uts","path":"/proc/48190/ns/uts"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-2c4b6a1e-93f0-7d1c-5b2a-8e6f4d3c2b1a"}]"#),
          \(seccomp ? #""seccomp":{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]},"# : "")
          "maskedPaths":["/proc/acpi","/proc/kcore"],"readonlyPaths":["/proc/bus","/proc/fs"]}}
        """
    }

    func testContainerdCRIBundle() throws {
        let bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.id)/config.json"
        try write(bundle, Self.criBundle(annotations: [
            "io.kubernetes.cri.container-name": "nginx",
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
            "io.kubernetes.cri.sandbox-id": Self.sandboxID,
            "io.kubernetes.cri.sandbox-name": "web-7d4b9c8f6-x2x9q",
            "io.kubernetes.cri.sandbox-namespace": "shop",
            "io.kubernetes.cri.sandbox-uid": Self.podUID,
        ], extraMounts: #"{"destination":"/host/var/log","type":"bind","source":"/var/log","options":["rbind","rprivate","ro"]},"#))
        let slice = Self.podUID.replacingOccurrences(of: "-", with: "_")
        let identity = try XCTUnwrap(CgroupLayout.identify(
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(slice).slice/cri-containerd-\(Self.id).scope"))
        XCTAssertEqual(reader.read(identity, state: nil), Container(
            id: Self.id, runtime: .containerd, name: "nginx", image: "docker.io/library/nginx:1.25",
            pod: Container.Pod(name: "web-7d4b9c8f6-x2x9q", namespace: "shop", uid: Self.podUID),
            grants: Container.Grants(hostMounts: ["/var/log:/host/var/log:ro"], runsAsRoot: true,
                                     capabilities: DefaultContainer.capabilities.sorted(), seccompAllowed: 2),
            sources: [bundle]))
    }

    /// The pause container, in a namespace dir other than k8s.io, found
    /// from a cgroupfs kubepods path (uid from the path, none annotated).
    func testContainerdSandboxIsNamedPOD() throws {
        let bundle = "/run/containerd/io.containerd.runtime.v2.task/other/\(Self.sandboxID)/config.json"
        try write(bundle, Self.criBundle(annotations: [
            "io.kubernetes.cri.container-type": "sandbox",
            "io.kubernetes.cri.sandbox-id": Self.sandboxID,
            "io.kubernetes.cri.sandbox-name": "web-7d4b9c8f6-x2x9q",
            "io.kubernetes.cri.sandbox-namespace": "shop",
        ]))
        let identity = try XCTUnwrap(CgroupLayout.identify("/kubepods/besteffort/pod\(Self.podUID)/\(Self.sandboxID)"))
        let container = reader.read(identity, state: nil)
        XCTAssertEqual(container.name, "POD")
        XCTAssertEqual(container.pod, Container.Pod(name: "web-7d4b9c8f6-x2x9q", namespace: "shop", uid: Self.podUID))
        XCTAssertEqual(container.notes, [])
    }

    private static let crioLabels: [String: String] = [
        "io.kubernetes.container.name": "nginx",
        "io.kubernetes.pod.name": "web-7d4b9c8f6-x2x9q",
        "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.uid": podUID,
    ]

    private static func crioAnnotations(labels: String) -> [String: String] {
        var annotations = crioLabels
        annotations["io.kubernetes.cri-o.ContainerName"] = "k8s_nginx_web-7d4b9c8f6-x2x9q_shop_\(podUID)_0"
        annotations["io.kubernetes.cri-o.ContainerType"] = "container"
        annotations["io.kubernetes.cri-o.ImageName"] = "docker.io/library/nginx:1.25"
        annotations["io.kubernetes.cri-o.SandboxID"] = sandboxID
        annotations["io.kubernetes.cri-o.Labels"] = labels
        annotations["io.container.manager"] = "cri-o"
        return annotations
    }

    func testCRIOBundle() throws {
        let bundle = "/run/containers/storage/overlay-containers/\(Self.id)/userdata/config.json"
        let labels = String(decoding: try JSONSerialization.data(withJSONObject: Self.crioLabels, options: [.sortedKeys]), as: UTF8.self)
        var all = DefaultContainer.allCapabilities
        all.removeLast(3)  // as on a kernel before 5.8: 38 capabilities
        try write(bundle, Self.criBundle(annotations: Self.crioAnnotations(labels: labels), bounding: all,
                                         namespaces: #"[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]"#, seccomp: false))
        let identity = try XCTUnwrap(CgroupLayout.identify("/kubepods/burstable/pod\(Self.podUID)/crio-\(Self.id)"))
        let container = reader.read(identity, state: nil)
        XCTAssertEqual(container.runtime, .crio)
        XCTAssertEqual(container.name, "nginx")
        XCTAssertEqual(container.image, "docker.io/library/nginx:1.25")
        XCTAssertEqual(container.labels, Self.crioLabels)
        XCTAssertEqual(container.pod, Container.Pod(name: "web-7d4b9c8f6-x2x9q", namespace: "shop", uid: Self.podUID))
        XCTAssertEqual(container.grants, Container.Grants(
            privileged: true, hostNamespaces: ["net"], addedCapabilities: Set(all).subtracting(DefaultContainer.capabilities).sorted(),
            seccompOff: true, runsAsRoot: true, capabilities: all.sorted()))
        XCTAssertEqual(container.sources, [bundle])
        XCTAssertEqual(container.notes, [])
    }

    /// A kubepods cgroupfs path reports containerd; CRI-O's files say otherwise.
    func testKubepodsPathWithCRIOFilesIsCRIO() throws {
        try write("/var/lib/containers/storage/overlay-containers/\(Self.id)/userdata/config.json",
                  Self.criBundle(annotations: Self.crioAnnotations(labels: "{}")))
        let identity = try XCTUnwrap(CgroupLayout.identify("/kubepods/pod\(Self.podUID)/\(Self.id)"))
        XCTAssertEqual(identity.runtime, .containerd)
        let container = reader.read(identity, state: nil)
        XCTAssertEqual(container.runtime, .crio)
        XCTAssertEqual(container.name, "nginx")
        XCTAssertEqual(container.notes, [])
    }

    // MARK: - podman

    func testPodmanBundleAndStorageList() throws {
        try write("/var/lib/containers/storage/overlay-containers/\(Self.id)/userdata/config.json",
                  Self.criBundle(annotations: ["io.container.manager": "libpod", "io.podman.annotations.privileged": "TRUE",
                                               "org.opencontainers.image.stopSignal": "15"]))
        try write("/var/lib/containers/storage/overlay-containers/containers.json", """
            [{"id":"\(Self.sandboxID)","names":["other"],"image":"b2","layer":"l2","metadata":"{}","created":"2024-05-01T10:00:00Z"},
             {"id":"\(Self.id)","names":["db"],"image":"5e3c1a","layer":"9f1b",
              "metadata":"{\\"image-name\\":\\"docker.io/library/postgres:16\\",\\"image-id\\":\\"5e3c1a\\",\\"name\\":\\"db\\",\\"created-at\\":1714644000,\\"mountlabel\\":\\"\\"}",
              "created":"2024-05-02T10:00:00Z","flags":{"MountLabel":"","ProcessLabel":""}}]
            """)
        let identity = try XCTUnwrap(CgroupLayout.identify("/machine.slice/libpod-\(Self.id).scope"))
        let container = reader.read(identity, state: nil)
        XCTAssertEqual(container.name, "db")
        XCTAssertEqual(container.image, "docker.io/library/postgres:16")
        XCTAssertEqual(container.grants?.privileged, true)
        XCTAssertEqual(container.notes, [])
        XCTAssertEqual(container.sources.count, 2)
    }

    /// Rootless: the bundle in the user's home (found through /etc/passwd);
    /// no storage list, so the name is left to podman's database.
    func testRootlessPodmanWithoutStorageList() throws {
        try write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/srv/home/alice:/bin/bash\n")
        let bundle = "/srv/home/alice/.local/share/containers/storage/overlay-containers/\(Self.id)/userdata/config.json"
        try write(bundle, Self.criBundle(annotations: ["io.container.manager": "libpod"]))
        let identity = try XCTUnwrap(CgroupLayout.identify(
            "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(Self.id).scope"))
        XCTAssertTrue(identity.rootless)
        let container = reader.read(identity, state: nil)
        XCTAssertNil(container.name)
        XCTAssertEqual(container.grants, Container.Grants(runsAsRoot: true, capabilities: DefaultContainer.capabilities.sorted(), seccompAllowed: 2))
        XCTAssertEqual(container.sources, [bundle])
        XCTAssertEqual(container.notes, ["podman: name and image are in its database, which auditq does not read"])
    }

    // MARK: - runc, nspawn, LXC

    /// The bundle `runc spec` writes, unchanged: three capabilities (all in
    /// docker's default set), the five usual namespaces, no seccomp filter.
    /// The real file when runc is here, else a copy of runc 1.1's.
    func testRuncSpecBundle() throws {
        let bundle = fileRoot.appendingPathComponent("bundles/x1")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        if let runc = TestSupport.which("runc") {
            let result = try TestSupport.run(runc, ["spec", "--bundle", bundle.path])
            XCTAssertEqual(result.status, 0, result.stderr)
        } else {
            try write("/bundles/x1/config.json", Self.runcSpec)
        }
        let state = RuntimeState.Entry(runtime: .runc, id: "x1", bundle: "/bundles/x1", cgroupPaths: ["/auditq-test/x1"],
                                       stateFile: "/run/runc/x1/state.json", initPid: 4242)
        XCTAssertEqual(reader.read(CgroupIdentity(runtime: .runc, id: "x1"), state: state), Container(
            id: "x1", runtime: .runc, name: "x1", grants: Container.Grants(seccompOff: true, runsAsRoot: true,
                                                               capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
            sources: ["/bundles/x1/config.json"]))
    }

    /// crun's state directory keeps a copy of the spec: used once the
    /// bundle is gone. Annotations become labels.
    func testCrunFallsBackToItsStateCopy() throws {
        try write("/run/crun/c1/config.json", Self.runcSpec.replacingOccurrences(
            of: #""hostname": "runc","#, with: #""hostname": "runc", "annotations": {"org.example.tier": "batch"},"#))
        let state = RuntimeState.Entry(runtime: .crun, id: "c1", bundle: "/gone/c1", cgroupPaths: ["/tenant/c1"],
                                       stateFile: "/run/crun/c1/status", initPid: nil)
        let container = reader.read(CgroupIdentity(runtime: .crun, id: "c1"), state: state)
        XCTAssertEqual(container.labels, ["org.example.tier": "batch"])
        XCTAssertEqual(container.sources, ["/run/crun/c1/config.json"])
        XCTAssertEqual(container.notes, [])
    }

    func testNspawnMachineFile() throws {
        try write("/run/systemd/machines/my-box", #"""
            # This is private data. Do not parse.
            NAME=my-box
            SCOPE=machine-my\x2dbox.scope
            SERVICE=systemd-nspawn
            ROOT=/var/lib/machines/my-box
            ID=5f1c8e2a9b3d4c6e8f0a1b2c3d4e5f60
            LEADER=51234
            CLASS=container
            REALTIME=1714644000123456
            MONOTONIC=81234567
            NETIF=7
            """#)
        let identity = try XCTUnwrap(CgroupLayout.identify(#"/machine.slice/machine-my\x2dbox.scope/payload"#))
        XCTAssertEqual(reader.read(identity, state: nil), Container(
            id: "my-box", runtime: .nspawn, name: "my-box", image: "/var/lib/machines/my-box",
            sources: ["/run/systemd/machines/my-box"]))
    }

    func testLXCConfig() throws {
        try write("/var/lib/lxc/web/config", """
            # Template used to create this container: /usr/share/lxc/templates/lxc-download
            lxc.include = /usr/share/lxc/config/common.conf
            lxc.arch = linux64
            lxc.rootfs.path = dir:/var/lib/lxc/web/rootfs
            lxc.uts.name = web
            lxc.net.0.type = veth
            lxc.net.0.link = lxcbr0
            lxc.cap.keep = chown net_admin
            lxc.cap.keep = sys_admin
            lxc.mount.entry = /srv/data srv/data none bind,create=dir 0 0
            lxc.mount.entry = proc proc proc nodev,noexec,nosuid 0 0
            """)
        let identity = try XCTUnwrap(CgroupLayout.identify("/lxc.payload.web/system.slice/cron.service"))
        XCTAssertEqual(reader.read(identity, state: nil), Container(
            id: "web", runtime: .lxc, name: "web", image: "dir:/var/lib/lxc/web/rootfs",
            grants: Container.Grants(addedCapabilities: ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], hostMounts: ["/srv/data:/srv/data"]),
            sources: ["/var/lib/lxc/web/config"]))
    }

    // MARK: - What cannot be read

    /// With nothing on disk every runtime still gives id and runtime, and
    /// says what it looked for.
    func testMissingFilesBecomeNotes() {
        var seen = 0
        for runtime in ContainerRuntime.allCases {
            let container = reader.read(CgroupIdentity(runtime: runtime, id: Self.id), state: nil)
            XCTAssertEqual(container.id, Self.id)
            XCTAssertEqual(container.runtime, runtime)
            XCTAssertEqual(container.sources, [])
            XCTAssertFalse(container.notes.isEmpty, "\(runtime)")
            for note in container.notes { XCTAssertTrue(note.hasPrefix(runtime.rawValue + ": "), note) }
            seen += 1
        }
        XCTAssertEqual(seen, ContainerRuntime.allCases.count)
        XCTAssertEqual(reader.read(CgroupIdentity(runtime: .docker, id: Self.id), state: nil).notes, [
            "docker: \(Self.dockerDirectory)/config.v2.json: no such file",
            "docker: \(Self.dockerDirectory)/hostconfig.json: no such file",
            "docker: /run/containerd/io.containerd.runtime.v2.task/moby/\(Self.id)/config.json: no such file",
        ])
    }

    func testMalformedFilesBecomeNotes() throws {
        try write(Self.dockerDirectory + "/config.v2.json", #"{"Name": "/web", "Config": {"Image": "nginx:1.25", }"#)
        try write(Self.dockerDirectory + "/hostconfig.json", #"{"Privileged": "yes"}"#)
        let docker = reader.read(CgroupIdentity(runtime: .docker, id: Self.id), state: nil)
        XCTAssertNil(docker.name)
        XCTAssertNil(docker.grants)
        XCTAssertEqual(docker.sources, [])
        XCTAssertEqual(docker.notes.count, 3)
        XCTAssertTrue(docker.notes[0].hasPrefix("docker: \(Self.dockerDirectory)/config.v2.json: not valid JSON"), docker.notes[0])
        XCTAssertTrue(docker.notes[1].hasPrefix("docker: \(Self.dockerDirectory)/hostconfig.json: Privileged: expected"), docker.notes[1])

        let bundle = "/run/containers/storage/overlay-containers/\(Self.id)/userdata/config.json"
        try write(bundle, Self.criBundle(annotations: Self.crioAnnotations(labels: "{not json")))
        let crio = reader.read(CgroupIdentity(runtime: .crio, id: Self.id), state: nil)
        XCTAssertEqual(crio.name, "nginx")
        XCTAssertNil(crio.labels)
        XCTAssertEqual(crio.notes, ["cri-o: \(bundle): io.kubernetes.cri-o.Labels is not a JSON object of strings"])
    }

    /// Every prefix of each runtime's file, as a reader racing a writer
    /// might see it: never a crash, always id and runtime.
    func testTruncatedFilesNeverCrash() throws {
        let files: [(CgroupIdentity, String, String)] = [
            (CgroupIdentity(runtime: .docker, id: Self.id), Self.dockerDirectory + "/hostconfig.json", Self.dockerHostConfig(privileged: false)),
            (CgroupIdentity(runtime: .containerd, id: Self.id), "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.id)/config.json",
             Self.criBundle(annotations: ["io.kubernetes.cri.container-name": "nginx"])),
            (CgroupIdentity(runtime: .nspawn, id: "m"), "/run/systemd/machines/m", "NAME=m\nROOT=/var/lib/machines/m\n"),
        ]
        var reads = 0
        for (identity, path, text) in files {
            let bytes = Array(text.utf8)
            for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
                try write(path, String(decoding: bytes[..<length], as: UTF8.self))
                let container = reader.read(identity, state: nil)
                XCTAssertEqual(container.id, identity.id)
                reads += 1
            }
        }
        XCTAssertGreaterThan(reads, 60)
    }

    /// runc 1.1's `runc spec`, for hosts without runc.
    private static let runcSpec = """
        {"ociVersion": "1.0.2-dev",
         "process": {"terminal": true, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
          "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"], "cwd": "/",
          "capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
           "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]},
          "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
         "root": {"path": "rootfs", "readonly": true},
         "hostname": "runc",
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
          {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
          {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
          {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
          {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
          {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
          {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}],
         "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]},
          "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
          "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
          "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]}}
        """
}
