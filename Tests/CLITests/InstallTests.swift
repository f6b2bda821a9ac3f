import Foundation
import Testing
import TestSupport

/// `Scripts/install.sh` as a user runs it: install into a prefix, use `vlmnode` from another
/// directory with nothing but the prefix's bin on PATH, uninstall back to what was there. The
/// debug binary the tests already built is installed (`--binary`), so no second release build runs.
@Suite struct InstallTests {
    static let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/install.sh")
    static let shipped = ["camera.launch", "detect_camera.launch", "pick_place.launch", "video_watch.launch"]

    /// Every path below `root` with its kind and contents, to compare before and after.
    static func snapshot(_ root: URL) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for case let path as String in fm.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator() {
            let full = root.appendingPathComponent(path).path
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: full, isDirectory: &isDir)
            out.append(isDir.boolValue ? "d \(path)" : "f \(path) \(fm.contents(atPath: full)?.hashValue ?? 0)")
        }
        return out.sorted()
    }

    static func install(_ args: [String]) throws -> ProcessResult {
        try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path] + args, timeout: 120)
    }

    /// `sh -c "cd DIR && COMMAND"` with exactly `path` as PATH, the way a person types it.
    static func shell(_ command: String, in dir: URL, path: String) throws -> ProcessResult {
        try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "cd '\(dir.path)' && \(command)"],
                       environment: ["PATH": path, "VLMNODE_LAUNCH_PATH": "", "VLMNODE_RUNTIME_DIR": dir.appendingPathComponent("run").path],
                       timeout: 60)
    }

    @Test func installRunFromElsewhereAndUninstall() throws {
        let prefix = try makeTemporaryDirectory("prefix")
        // Something of the user's in the prefix already: it must survive install and uninstall.
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share/doc"), withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: prefix.appendingPathComponent("bin/other-tool"), atomically: true, encoding: .utf8)
        try "notes\n".write(to: prefix.appendingPathComponent("share/doc/notes.txt"), atomically: true, encoding: .utf8)
        let before = try Self.snapshot(prefix)

        let installed = try Self.install(["--prefix", prefix.path, "--binary", VLMNodeBinary.url.path])
        #expect(installed.status == 0, "\(installed.stderr)")
        let share = prefix.appendingPathComponent("share/vlmnode")
        for file in ["bin/vlmnode", "share/vlmnode/Examples/python/pick_place_controller.py", "share/vlmnode/docs/launch.md",
                     "share/vlmnode/README.md", "share/vlmnode/install-manifest.txt"] + Self.shipped.map({ "share/vlmnode/launch/\($0)" }) {
            #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), "\(file)")
        }
        for (file, marker) in [("share/bash-completion/completions/vlmnode", "complete -o filenames -F _vlmnode vlmnode"), ("share/zsh/site-functions/_vlmnode", "#compdef vlmnode"),
                               ("share/fish/vendor_completions.d/vlmnode.fish", "complete -c 'vlmnode'")] {
            let text = (try? String(contentsOf: prefix.appendingPathComponent(file), encoding: .utf8)) ?? ""
            #expect(text.contains(marker) && text.contains("launch"), "\(file)")
        }

        // Another directory; PATH holds the prefix's bin and a folder with only python3 (the
        // launch file's controller is `exec="python3"`, which validation looks up in PATH).
        let elsewhere = try makeTemporaryDirectory("elsewhere")
        let tools = elsewhere.appendingPathComponent("tools")
        try FileManager.default.createDirectory(at: tools, withIntermediateDirectories: true)
        let python = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "command -v python3"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createSymbolicLink(atPath: tools.appendingPathComponent("python3").path, withDestinationPath: python)
        let path = "\(prefix.path)/bin:\(tools.path)"

        let which = try Self.shell("command -v vlmnode", in: elsewhere, path: path)
        #expect(which.stdout == "\(prefix.path)/bin/vlmnode\n")
        let check = try Self.shell("vlmnode launch pick_place.launch --check", in: elsewhere, path: path)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("launch \(share.path)/launch/pick_place.launch: 3 nodes"), "\(check.stdout)")
        // The controller the launch file starts is the installed copy, and it is there.
        #expect(check.stdout.contains("\(share.path)/launch/../Examples/python/pick_place_controller.py"))
        #expect(FileManager.default.fileExists(atPath: "\(share.path)/launch/../Examples/python/pick_place_controller.py"))
        #expect(check.stderr.isEmpty, "identical copies in the checkout need no note: \(check.stderr)")
        let short = try Self.shell("vlmnode graph pick_place", in: elsewhere, path: path)
        #expect(short.status == 0 && short.stdout.hasPrefix("launch \(share.path)/launch/pick_place.launch: 3 nodes"), "\(short.stderr)")

        let list = try Self.shell("vlmnode launch --list", in: elsewhere, path: path)
        #expect(list.status == 0, "\(list.stderr)")
        for name in Self.shipped {
            #expect(list.stdout.contains("\n\(name)  \(share.path)/launch/\(name)  [installed]\n"), "\(name): \(list.stdout)")
        }
        #expect(list.stdout.contains("    command_port"), "args with their docs")
        #expect(list.stdout.contains("tcp port (loopback) where outside programs publish commands"))

        let removed = try Self.install(["--prefix", prefix.path, "--uninstall"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try Self.snapshot(prefix) == before)
        let again = try Self.install(["--prefix", prefix.path, "--uninstall"])
        #expect(again.status != 0 && again.stderr.contains("no vlmnode install in \(prefix.path)"))
    }

    @Test func refusesToOverwriteAndTakesBackAFailedInstall() throws {
        let prefix = try makeTemporaryDirectory("prefix")
        // A foreign file where the last completion script would go: install stops there.
        let fish = prefix.appendingPathComponent("share/fish/vendor_completions.d")
        try FileManager.default.createDirectory(at: fish, withIntermediateDirectories: true)
        try "mine\n".write(to: fish.appendingPathComponent("vlmnode.fish"), atomically: true, encoding: .utf8)
        let before = try Self.snapshot(prefix)
        let result = try Self.install(["--prefix", prefix.path, "--binary", VLMNodeBinary.url.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(fish.path)/vlmnode.fish exists and was not installed by install.sh"), "\(result.stderr)")
        #expect(try Self.snapshot(prefix) == before)

        let bad = try Self.install(["--prefix", prefix.path, "--binary", prefix.appendingPathComponent("nothing").path])
        #expect(bad.status != 0 && bad.stderr.contains("no vlmnode binary there"))
        #expect(try Self.snapshot(prefix) == before)
    }

    @Test func uninstallTouchesNothingOutsideThePrefix() throws {
        let prefix = try makeTemporaryDirectory("prefix")
        let outside = try makeTemporaryDirectory("outside").appendingPathComponent("keep.txt")
        try "keep\n".write(to: outside, atomically: true, encoding: .utf8)
        let installed = try Self.install(["--prefix", prefix.path + "/sub/../inst", "--binary", VLMNodeBinary.url.path])
        #expect(installed.status == 0, "\(installed.stderr)")
        let manifest = prefix.appendingPathComponent("inst/share/vlmnode/install-manifest.txt")
        let original = try String(contentsOf: manifest, encoding: .utf8)
        #expect(original.contains("f \(prefix.path)/inst/bin/vlmnode\n") && !original.contains(".."))
        // A manifest that names a file elsewhere is refused as a whole.
        try (original + "f \(outside.path)\n").write(to: manifest, atomically: true, encoding: .utf8)
        let refused = try Self.install(["--prefix", prefix.path + "/inst", "--uninstall"])
        #expect(refused.status != 0 && refused.stderr.contains("outside \(prefix.path)/inst: not removing anything"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: outside.path))
        #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent("inst/bin/vlmnode").path))
        try original.write(to: manifest, atomically: true, encoding: .utf8)
        let removed = try Self.install(["--prefix", prefix.path + "/inst", "--uninstall"])
        #expect(removed.status == 0)
        #expect(try Self.snapshot(prefix).isEmpty, "the install created inst/, so uninstall removes it")
        #expect(FileManager.default.fileExists(atPath: outside.path))
    }
}
