import ArgumentParser
import AuditCLI
import AuditProfile
import AuditQuery
import AuditStore
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "What a container or program used and was granted, and the least-privilege profile that grants only that.",
        discussion: """
        Learned from auditqd --learn: the sensor keeps, in the kernel, which syscalls (per ABI: x86_64, i386, x32) \
        and which capability checks each executable of each cgroup made, and the collector stores what is new \
        every 5 s. A container's profile leaves out its runtime's own setup and adds the syscalls the runtime \
        makes after installing the filter (a measured baseline per runtime and version); families that libc \
        chooses between at run time (open/openat/openat2, the stat family, clone/clone3, …) are allowed together. \
        Files written, sockets and execs come from the audit and sensor events of the window. \
        Outputs: summary (default), json, seccomp (OCI JSON for runc, crun, podman and docker \
        --security-opt seccomp=), docker (flags), kubernetes (securityContext), systemd (unit hardening, for \
        --exe), apparmor (a skeleton); --write-dir writes every one to files. With --check PROFILE \
        --container ID: what PROFILE would have denied in that container's runs (from its SECCOMP records \
        and what learning saw). Exit status 3 when the window holds a loss the ledger records (the profile may \
        lack what the lost events would have shown); 1 when no profile can be made or --check finds a denial.
        """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions

    @Option(name: .long, help: ArgumentHelp("A container: id, unique id prefix, or name.", valueName: "id|name"))
    var container: String?
    @Option(name: .long, help: ArgumentHelp("A host program, by path.", valueName: "path"))
    var exe: String?
    @Option(name: .long, help: ArgumentHelp("A cgroup, by its path below the cgroup v2 root.", valueName: "path"))
    var cgroup: String?

    @Option(name: .long, help: ArgumentHelp("summary, json, seccomp, docker, kubernetes, systemd or apparmor.", valueName: "format"))
    var format: Format = .summary
    @Option(name: .long, help: ArgumentHelp("enforce (deny with EPERM, each denial logged) or log (allow and log: a trial run).", valueName: "mode"))
    var mode: SeccompMode = .enforce
    @Option(name: .long, help: ArgumentHelp("Write every output to files in this directory (made if missing).", valueName: "dir"))
    var writeDir: String?
    @Option(name: .long, help: ArgumentHelp("Check a seccomp profile against a container's runs (needs --container).", valueName: "profile"))
    var check: String?

    enum Format: String, ExpressibleByArgument, CaseIterable { case summary, json, seccomp, docker, kubernetes, systemd, apparmor }

    func validate() throws {
        let chosen = [container, exe, cgroup].compactMap { $0 }
        guard chosen.count == 1 else { throw ValidationError("give one of --container, --exe or --cgroup") }
        if check != nil && container == nil { throw ValidationError("--check needs --container") }
        if format == .systemd && exe == nil { throw ValidationError("--format systemd is for host programs (--exe)") }
    }

    func run() throws {
        let store: EventStore
        var filter = EventFilter()
        do {
            try time.apply(to: &filter)
            store = try storeOptions.open(.read)
        } catch { throw Failure.exit(error) }
        if let check, let container {
            let checked: ProfileCheck
            do {
                let profile = try SeccompProfile.load(path: check)
                checked = try ProfileCheck.run(store, profile: profile, container: container, startMs: filter.startMs, endMs: filter.endMs)
            } catch let e as ProfileFailure {
                throw Failure.exit(e.description, code: .failed)
            } catch let e as SeccompProfileError {
                throw Failure.exit("\(e)", code: .dataError)
            } catch { throw Failure.exit(error) }
            print(checked.text(), terminator: "")
            if !checked.denials.isEmpty { throw ExitCode(ExitStatus.failed.rawValue) }
            return
        }
        let subject: ProfileRequest.Subject = container.map { .container($0) } ?? exe.map { .exe($0) } ?? .cgroup(cgroup!)
        let profile: UsageProfile
        do {
            profile = try ProfileBuilder.build(store, ProfileRequest(subject: subject, startMs: filter.startMs, endMs: filter.endMs))
        } catch let e as ProfileFailure {
            throw Failure.exit(e.description, code: .failed)
        } catch { throw Failure.exit(error) }

        let name = profile.subject.profileName
        let seccompFile = "auditq-\(name).json"
        if let writeDir {
            do { try write(profile, to: writeDir, seccompFile: seccompFile) } catch {
                throw Failure.exit("\(writeDir): \(error.localizedDescription)", code: .cannotCreate)
            }
        } else {
            print(render(profile, format, seccompFile: seccompFile), terminator: "")
        }
        if !profile.window.losses.isEmpty {
            throw Failure.exit("learned across \(profile.window.losses.count) recorded loss(es): the profile may lack what the lost events would have shown",
                               code: .incomplete)
        }
    }

    private func render(_ p: UsageProfile, _ format: Format, seccompFile: String) -> String {
        let text: String
        switch format {
        case .summary: text = ProfileSummary.text(p)
        case .json: text = ProfileSummary.json(p)
        case .seccomp: text = SeccompProfile.render(p, mode: mode)
        case .docker: text = DockerFlags.render(p, seccompPath: seccompFile)
        case .kubernetes: text = KubernetesSnippet.render(p, localhostProfile: "auditq/" + seccompFile)
        case .systemd: text = SystemdSnippet.render(p)
        case .apparmor: text = AppArmorSkeleton.render(p)
        }
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// Every output that fits the subject, one file each, and the summary.
    private func write(_ p: UsageProfile, to dir: String, seccompFile: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var files: [(String, Format)] = [("summary.txt", .summary), ("profile.json", .json), (seccompFile, .seccomp),
                                         ("apparmor-\(p.subject.profileName)", .apparmor)]
        if case .exe = p.subject {
            files.append(("\(p.subject.profileName)-hardening.conf", .systemd))
        } else {
            files += [("docker-flags.txt", .docker), ("kubernetes-securitycontext.yaml", .kubernetes)]
        }
        for (file, format) in files {
            try Data(render(p, format, seccompFile: seccompFile).utf8).write(to: URL(fileURLWithPath: dir).appendingPathComponent(file))
        }
        print(ProfileSummary.text(p), terminator: "")
        print("wrote \(files.map(\.0).joined(separator: ", ")) in \(dir)")
    }
}

extension SeccompMode: ExpressibleByArgument {}
