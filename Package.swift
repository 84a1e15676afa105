// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "auditq",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "auditq", targets: ["auditq"]),
        .executable(name: "auditqd", targets: ["auditqd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, each through a module map and a shim header.
        .systemLibrary(name: "CAudit", providers: [.apt(["libauparse-dev", "libaudit-dev"])]),
        .systemLibrary(name: "CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "CSQLiteConfig", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibbpf", providers: [.apt(["libbpf-dev"])]),
        // bpf_lsm/events.h, the BPF programs' event contract, imported as is.
        .systemLibrary(name: "CBPFEvents"),

        // The BPF objects (bpf_lsm/*.bpf.c), compiled by the plugin with the
        // toolchain's clang and embedded in the binary.
        .target(name: "BPFPrograms", plugins: ["BPFObjectsPlugin"]),
        .plugin(name: "BPFObjectsPlugin", capability: .buildTool()),

        // Audit records: reading logs, grouping with libauparse, normalising events.
        .target(name: "AuditRecords", dependencies: ["CAudit", "CZlib"]),
        // Containers: runtimes' cgroup layouts, and the metadata they leave on disk.
        .target(name: "AuditContainers"),
        // The append-only store: schema, the one writer, the hash chain, readers.
        .target(name: "AuditStore", dependencies: [
            "AuditContainers", "AuditRecords", "CSQLiteConfig", "CZstd",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Least privilege: what a workload used, and the profiles that grant only that.
        .target(name: "AuditProfile", dependencies: ["AuditRecords", "CAudit"]),
        // Queries over the store: filters, time specs, output formats, summaries.
        .target(name: "AuditQuery", dependencies: [
            "AuditContainers", "AuditProfile", "AuditStore", "AuditRecords",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The kernel's audit control: status, settings, the audit daemon's pid, the rule list.
        .target(name: "AuditKernel", dependencies: ["CAudit"]),
        // Audit rules in auditctl syntax: parsed and loaded through libaudit's rule API.
        .target(name: "AuditRules", dependencies: [
            "AuditKernel", "CAudit",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The BPF sensor: libbpf loader, ring buffer, events.h records to events.
        .target(name: "AuditSensor", dependencies: [
            "AuditRecords", "BPFPrograms", "CBPFEvents", "CLibbpf",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Live collection: the kernel audit socket, auditd's plugin stream, followed logs.
        .target(name: "AuditCollector", dependencies: [
            "AuditContainers", "AuditKernel", "AuditRecords", "AuditStore", "AuditRules", "AuditSensor", "CAudit", "CLinux",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // What both executables share: the error-to-exit-status mapping, the
        // one-line-usage-error main, the version.
        .target(name: "AuditCLI", dependencies: [
            "AuditKernel", "AuditQuery", "AuditRecords", "AuditRules", "AuditStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "auditq", dependencies: [
            "AuditCLI", "AuditContainers", "AuditProfile", "AuditQuery", "AuditStore", "AuditRecords", "AuditRules", "AuditKernel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "auditqd", dependencies: [
            "AuditCLI", "AuditCollector", "AuditKernel", "AuditQuery", "AuditStore", "AuditRecords", "AuditRules",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "AuditqTests", dependencies: [
            "AuditContainers", "AuditProfile", "AuditRecords", "AuditStore", "AuditQuery", "AuditRules", "AuditKernel", "AuditCollector", "AuditSensor",
            "BPFPrograms", "CBPFEvents",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
