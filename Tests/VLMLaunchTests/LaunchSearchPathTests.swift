import Foundation
import Testing
import TestSupport
import VLMLaunch

/// Launch files by name: current directory, then VLMNODE_LAUNCH_PATH, then the installed share
/// directory, then the checkout's Launch/; the message when a differing copy is passed over.
@Suite struct LaunchSearchPathTests {
    /// Five directories: cwd, two VLMNODE_LAUNCH_PATH entries, `<prefix>/share/vlmnode/launch` for a
    /// binary at `<prefix>/bin/vlmnode`, and a checkout's Launch/.
    struct Tree {
        let root: URL
        var cwd: URL { root.appendingPathComponent("cwd") }
        var first: URL { root.appendingPathComponent("first") }
        var second: URL { root.appendingPathComponent("second") }
        var installed: URL { root.appendingPathComponent("prefix/share/vlmnode/launch") }
        var checkout: URL { root.appendingPathComponent("checkout/Launch") }

        init() throws {
            root = try makeTemporaryDirectory("launch-path")
            for dir in [root.appendingPathComponent("cwd"), root.appendingPathComponent("first"),
                        root.appendingPathComponent("second"), root.appendingPathComponent("prefix/share/vlmnode/launch"),
                        root.appendingPathComponent("checkout/Launch"), root.appendingPathComponent("prefix/bin")] {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            }
        }

        func write(_ dir: URL, _ name: String, _ text: String = "<launch/>\n") throws {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        var searchPath: LaunchSearchPath {
            LaunchSearchPath(environment: ["VLMNODE_LAUNCH_PATH": "\(first.path)::\(second.path)"],
                             currentDirectory: cwd.path,
                             executable: root.appendingPathComponent("prefix/bin/vlmnode").path,
                             checkoutLaunchDirectory: checkout.path)
        }
    }

    @Test func directoriesInOrder() throws {
        let t = try Tree()
        #expect(t.searchPath.directories.map(\.path) == [t.cwd, t.first, t.second, t.installed, t.checkout].map(\.path))
        #expect(t.searchPath.directories.map(\.origin) == [.currentDirectory, .launchPath, .launchPath, .installed, .checkout])
        // Missing directories are dropped; a directory named twice is searched once, at its first place.
        let fewer = LaunchSearchPath(environment: ["VLMNODE_LAUNCH_PATH": "\(t.root.path)/nothing:\(t.cwd.path)"],
                                     currentDirectory: t.cwd.path, executable: "/nonexistent/bin/vlmnode",
                                     checkoutLaunchDirectory: nil)
        #expect(fewer.directories.map(\.path) == [t.cwd.path])
    }

    @Test func firstDirectoryWinsAtEveryLevel() throws {
        let t = try Tree()
        let levels = [t.cwd, t.first, t.second, t.installed, t.checkout]
        for dir in levels { try t.write(dir, "g.launch", "<launch><!-- \(dir.lastPathComponent) --></launch>\n") }
        // Remove from the front one level at a time: the next one down is taken each time.
        for (i, dir) in levels.enumerated() {
            let found = try t.searchPath.resolve("g.launch")
            #expect(found.path == dir.appendingPathComponent("g.launch").path, "level \(i)")
            #expect(found.shadowed.map(\.path) == levels[(i + 1)...].map { $0.appendingPathComponent("g.launch").path })
            try FileManager.default.removeItem(at: dir.appendingPathComponent("g.launch"))
        }
        #expect(throws: LaunchError.self) { try t.searchPath.resolve("g.launch") }
    }

    @Test func launchPathEntriesInTheirOrder() throws {
        let t = try Tree()
        try t.write(t.second, "p.launch", "<launch><!-- second --></launch>\n")
        try t.write(t.installed, "p.launch")
        #expect(try t.searchPath.resolve("p").path == t.second.appendingPathComponent("p.launch").path)
        try t.write(t.first, "p.launch", "<launch><!-- first --></launch>\n")
        #expect(try t.searchPath.resolve("p").path == t.first.appendingPathComponent("p.launch").path)
    }

    @Test func withOrWithoutTheSuffix() throws {
        let t = try Tree()
        try t.write(t.installed, "pick.launch")
        #expect(try t.searchPath.resolve("pick").path == t.installed.appendingPathComponent("pick.launch").path)
        #expect(try t.searchPath.resolve("pick.launch").path == t.installed.appendingPathComponent("pick.launch").path)
        // In one directory the name as written comes first; a directory of that name is no file.
        try t.write(t.installed, "pick")
        #expect(try t.searchPath.resolve("pick").path == t.installed.appendingPathComponent("pick").path)
        try FileManager.default.createDirectory(at: t.cwd.appendingPathComponent("pick"), withIntermediateDirectories: true)
        #expect(try t.searchPath.resolve("pick").path == t.installed.appendingPathComponent("pick").path)
    }

    @Test func pathsAreTakenAsTheyAre() throws {
        let t = try Tree()
        try t.write(t.first, "x.launch")
        let found = try t.searchPath.resolve("sub/x.launch")
        #expect(found.path == "sub/x.launch" && found.chosen == nil)
        #expect(try t.searchPath.resolve(t.first.path + "/x.launch").path == t.first.path + "/x.launch")
    }

    @Test func theNoteNamesTheFileTakenAndTheOthers() throws {
        let t = try Tree()
        try t.write(t.first, "m.launch", "<launch><!-- mine --></launch>\n")
        try t.write(t.installed, "m.launch", "<launch><!-- shipped --></launch>\n")
        try t.write(t.checkout, "m.launch", "<launch><!-- mine --></launch>\n")
        let found = try t.searchPath.resolve("m")
        #expect(found.shadowed.count == 2)
        #expect(found.differing.map(\.path) == [t.installed.appendingPathComponent("m.launch").path])
        #expect(found.note == "m.launch: using \(t.first.path)/m.launch (VLMNODE_LAUNCH_PATH); "
                + "also found, not used: \(t.installed.path)/m.launch (installed)")
        // Identical copies (an install and the checkout it came from) are no choice: no note.
        try t.write(t.installed, "m.launch", "<launch><!-- mine --></launch>\n")
        #expect(try t.searchPath.resolve("m").note == nil)
    }

    @Test func notFoundNamesEveryDirectory() throws {
        let t = try Tree()
        do {
            _ = try t.searchPath.resolve("nothing")
            Issue.record("expected an error")
        } catch let error as LaunchError {
            #expect(error.message.hasPrefix("nothing: no such launch file (looked for nothing or nothing.launch in \(t.cwd.path) (current directory), "))
            #expect(error.message.contains("\(t.installed.path) (installed)") && error.message.contains("\(t.checkout.path) (source checkout)"))
        }
    }

    @Test func listGroupsCopiesByName() throws {
        let t = try Tree()
        try t.write(t.installed, "a.launch")
        try t.write(t.checkout, "a.launch")
        try t.write(t.checkout, "b.launch")
        try t.write(t.first, "notes.txt")
        let entries = t.searchPath.list()
        #expect(entries.map(\.name) == ["a.launch", "b.launch"])
        #expect(entries[0].copies.map(\.directory.origin) == [.installed, .checkout])
        #expect(entries[1].used.path == t.checkout.appendingPathComponent("b.launch").path)
    }

    @Test func declaredArgsAsWritten() throws {
        let t = try Tree()
        try t.write(t.cwd, "a.launch", """
            <launch>
              <arg name="camera" default="/dev/video0" doc="camera device"/>
              <arg name="input"/>
              <group ns="g"><arg name="fixed" value="$(arg camera)"/></group>
              <include file="$(dirname)/b.launch"><arg name="passed" value="1"/></include>
            </launch>
            """)
        let args = try LaunchArgDeclaration.declared(inFileAt: t.cwd.appendingPathComponent("a.launch").path)
        #expect(args.map(\.name) == ["camera", "input", "fixed"])
        #expect(args[0].defaultValue == "/dev/video0" && args[0].doc == "camera device" && !args[0].isRequired)
        #expect(args[1].isRequired)
        #expect(args[2].fixedValue == "$(arg camera)")
    }
}
