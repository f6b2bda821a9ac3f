import ArgumentParser
import Foundation
import VLMBus
import VLMCore
import VLMLaunch
import VLMMedia
import VLMNode

/// `vlmnode doctor`: one screen a user can paste into a bug report. Every problem comes with its
/// fix; a problem found is not an error (exit 0).
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine for vlmnode: versions, libraries, CPU, directories, models, cameras, ports.",
        discussion: """
            Prints vlmnode's version and build, the linked libzmq, FFmpeg and OpenBLAS, the CPU features \
            the kernels use, thread settings, the runtime and log directories, the launch files found by \
            name, the Hugging Face cache and its models, /dev/video* devices and whether the tcp ports the \
            launch files pin are free. Each problem is followed by its fix. Exit status 0 even when \
            problems are found.
            """)

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let searchPath = LaunchSearchPath()
        let launches = DoctorLaunchFiles(searchPath: searchPath, environment: environment)
        var report = DoctorReport()
        report.sections.append(DoctorChecks.build())
        report.sections.append(DoctorChecks.libraries())
        report.sections.append(DoctorChecks.cpu())
        report.sections.append(DoctorChecks.directories(environment: environment))
        report.sections.append(launches.section())
        report.sections.append(DoctorChecks.models(environment: environment, launches: launches))
        report.sections.append(DoctorChecks.cameras())
        report.sections.append(launches.portsSection())
        print(report.text, terminator: "")
    }
}

/// The sections that do not depend on launch files.
enum DoctorChecks {
    static func build() -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "vlmnode")
        s.add("version", VLMNodeCommand.version)
        #if DEBUG
        let kind = "debug"
        #else
        let kind = "release"
        #endif
        s.add("build", "\(kind) build, Swift \(compilerVersion), \(platform)")
        if let exe = LaunchSearchPath.runningExecutable {
            let built = (try? FileManager.default.attributesOfItem(atPath: exe)[.modificationDate] as? Date).map(utc) ?? "?"
            s.add("binary", "\(exe) (built \(built))")
        }
        if let launch = LaunchSearchPath.builtCheckoutLaunchDirectory {
            let root = URL(fileURLWithPath: launch).deletingLastPathComponent().path
            let commit = gitCommit(in: root).map { ", checkout now at git \($0)" } ?? ""
            s.add("source", root + commit)
        } else {
            s.add("source", "built elsewhere (checkout not on this machine)")
        }
        return s
    }

    static func libraries() -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "libraries")
        s.add("libzmq", ZMQContext.libraryVersion)
        s.add("FFmpeg", MediaLibraries.ffmpegVersion)
        for lib in MediaLibraries.versions { s.add(lib.name, lib.version) }
        let blas = BLAS.libraryInfo
        s.add("OpenBLAS", "\(blas.config.trimmingCharacters(in: .whitespaces)) (core: \(blas.coreName))")
        return s
    }

    /// Feature flags from /proc/cpuinfo and what the kernels do with them.
    static let cpuFeatures: [(flag: String, use: String)] = [
        ("avx2", "packed fp32 GEMM kernel"),
        ("fma", "packed fp32 GEMM kernel"),
        ("avx512f", "AVX-512"),
        ("avx512bw", "AVX-512 byte/word"),
        ("avx512_vnni", "int8 dot products, AVX-512 VNNI"),
        ("avx_vnni", "int8 dot products, AVX-VNNI"),
        ("avx512_bf16", "bf16 dot products"),
    ]

    static func cpu(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "cpu")
        let lines = (cpuinfo ?? "").split(separator: "\n")
        func field(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name) }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        s.add("model", field("model name") ?? "unknown")
        s.add("cores", "\(ProcessInfo.processInfo.activeProcessorCount) online")
        if let flags = field("flags").map({ Set($0.split(separator: " ").map(String.init)) }) {
            for feature in cpuFeatures {
                s.add(feature.flag, (flags.contains(feature.flag) ? "yes" : "no ") + "  (\(feature.use))")
            }
        } else {
            s.add("features", "unknown (no flags in /proc/cpuinfo)")
        }
        if PackedGEMM.hasSIMDKernel {
            s.add("kernels", "packed fp32 GEMM: AVX2+FMA")
        } else {
            s.add("kernels", "packed fp32 GEMM: portable C (no AVX2+FMA on this CPU, or forced off)")
        }
        let env = ProcessInfo.processInfo.environment["VLMNODE_THREADS"].map { "VLMNODE_THREADS=\($0)" } ?? "VLMNODE_THREADS unset: one per core"
        s.add("threads", "\(BLAS.threadCount) GEMM threads (\(env)), threading \(BLAS.threading.rawValue)")
        return s
    }

    static func directories(environment: [String: String]) -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "directories")
        let runtime = GraphRegistry.directory(environment: environment)
        let running = GraphRegistry.running(environment: environment).count
        check(&s, "runtime", runtime.path, extra: "\(running) running launch\(running == 1 ? "" : "es")",
              fix: "set VLMNODE_RUNTIME_DIR (or XDG_RUNTIME_DIR) to a directory you can write")
        let logs = LaunchPaths(file: "x", launchID: "x", environment: environment).logDirectory.deletingLastPathComponent()
        check(&s, "logs", logs.path, extra: nil, fix: "set VLMNODE_LOG_DIR to a directory you can write, or pass --log-dir")
        return s
    }

    /// Reports `path` as existing and writable, or creatable (missing with a writable ancestor).
    static func check(_ s: inout DoctorReport.Section, _ key: String, _ path: String, extra: String?, fix: String) {
        let fm = FileManager.default
        var state: String
        if fm.fileExists(atPath: path) {
            state = access(path, W_OK) == 0 ? "exists, writable" : "exists, NOT writable"
        } else {
            var ancestor = URL(fileURLWithPath: path)
            while !fm.fileExists(atPath: ancestor.path), ancestor.path != "/" { ancestor.deleteLastPathComponent() }
            state = access(ancestor.path, W_OK) == 0 ? "missing, created when needed" : "missing, and \(ancestor.path) is NOT writable"
        }
        s.add(key, "\(path) (\(state)\(extra.map { "; \($0)" } ?? ""))")
        if state.contains("NOT writable") { s.problem("\(key) directory \(path) cannot be written", fix: fix) }
    }

    static func cameras() -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "cameras")
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? [])
            .filter { $0.hasPrefix("video") }.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
        if devices.isEmpty {
            s.add("devices", "no /dev/video* (use a file, an rtsp:// URL or lavfi:testsrc as the source input)")
        }
        for name in devices {
            let path = "/dev/" + name
            if access(path, R_OK | W_OK) == 0 {
                s.add(path, "usable")
            } else {
                s.add(path, "no permission")
                s.problem("\(path) cannot be opened by this user",
                          fix: "add yourself to its group (`sudo usermod -aG video $USER`, then log in again)")
            }
        }
        return s
    }

    static func models(environment: [String: String], launches: DoctorLaunchFiles) -> DoctorReport.Section {
        var s = DoctorReport.Section(title: "models")
        let settings = HubSettings(environment: environment)
        let store = ModelStore(settings: settings, progress: nil)
        let cache = settings.cacheDirectory.path
        s.add("endpoint", settings.endpoint.absoluteString + (settings.offline ? " (HF_HUB_OFFLINE: no network)" : "")
              + (settings.token == nil ? "" : ", HF_TOKEN set"))
        let example = launches.modelFiles.first.map { "--for \($0)" } ?? ModelAliases.table[0].name
        if FileManager.default.fileExists(atPath: cache) {
            let models = store.cachedModels()
            s.add("cache", "\(cache) (\(models.count) model\(models.count == 1 ? "" : "s"))")
            for model in models {
                let partial = model.incompleteBytes > 0 ? ", \(TerminalProgressBar.format(model.incompleteBytes)) partial download" : ""
                s.add("  " + model.id, TerminalProgressBar.format(model.size) + partial)
            }
        } else {
            s.add("cache", "\(cache) (missing)")
            s.problem("the Hugging Face cache \(cache) does not exist: no model has been downloaded yet",
                      fix: "with network access, `vlmnode models pull \(example)` (or `vlmnode models pull owlvit`); "
                        + "or point HF_HUB_CACHE / HF_HOME at an existing cache")
        }
        let names = ModelAliases.table.map { alias -> String in
            let cached = HubModelID(parsing: alias.repo).flatMap { store.cachedSnapshot($0, strict: false) } != nil
            return "\(alias.name)\(cached ? "" : " (not cached)")"
        }
        s.add("short names", names.joined(separator: ", "))
        for (file, uses) in launches.models {
            for model in Set(uses.map(\.model)).sorted() {
                let cached = (try? store.localFolder(model)) != nil
                    || (try? ModelStore.hubID(model)).flatMap { store.cachedSnapshot($0, strict: false) } != nil
                s.add("  \(file)", "\(model): " + (cached ? "ready" : "not cached" + (settings.offline ? "" : " (downloaded on first use)")))
                if !cached && settings.offline {
                    s.problem("\(file) needs \(model), which is not cached, and HF_HUB_OFFLINE is set",
                              fix: "with network access, `vlmnode models pull --for \(file)`")
                }
            }
        }
        return s
    }

    static func utc(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: date)
    }

    static var compilerVersion: String {
        #if compiler(>=6.3)
        return "6.3+"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    static var platform: String {
        var u = utsname()
        uname(&u)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(text(u.sysname)) \(text(u.release)) \(text(u.machine))"
    }

    /// The checkout's current commit (it may have moved since the build), if git is there.
    static func gitCommit(in root: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", root, "rev-parse", "--short", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !text.isEmpty ? text : nil
    }
}
