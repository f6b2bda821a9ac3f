import Foundation
import Testing
import TestSupport

/// `vlmnode launch NAME` / `graph NAME` / `launch --list` through the binary: the current
/// directory before VLMNODE_LAUNCH_PATH, its entries in order, and the message naming the copy taken.
@Suite struct LaunchLookupCLITests {
    static func launchFile(_ comment: String) -> String {
        "<launch>\n  <!-- \(comment) -->\n  <arg name=\"who\" default=\"\(comment)\" doc=\"which copy\"/>\n"
            + "  <node name=\"n\" type=\"exec\" args=\"true\"/>\n</launch>\n"
    }

    /// Runs `vlmnode args…` in `cwd` with VLMNODE_LAUNCH_PATH set.
    static func run(_ args: [String], cwd: URL, launchPath: String) throws -> ProcessResult {
        let quoted = ([VLMNodeBinary.url.path] + args).map { "'\($0)'" }.joined(separator: " ")
        return try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "cd '\(cwd.path)' && exec \(quoted)"],
                              environment: ["VLMNODE_LAUNCH_PATH": launchPath,
                                            "VLMNODE_RUNTIME_DIR": cwd.appendingPathComponent("run").path], timeout: 60)
    }

    @Test func precedenceAndTheAmbiguityMessage() throws {
        let root = try makeTemporaryDirectory("lookup")
        let (cwd, a, b) = (root.appendingPathComponent("cwd"), root.appendingPathComponent("a"), root.appendingPathComponent("b"))
        for dir in [cwd, a, b] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        try Self.launchFile("b").write(to: b.appendingPathComponent("robot.launch"), atomically: true, encoding: .utf8)
        let path = "\(a.path):\(b.path)"

        // Only in b: taken without a note, by name with or without .launch, for launch and graph.
        for name in ["robot", "robot.launch"] {
            for command in [["launch", "--check"], ["graph"]] {
                let r = try Self.run(command + [name], cwd: cwd, launchPath: path)
                #expect(r.status == 0, "\(command) \(name): \(r.stderr)")
                #expect(r.stdout.hasPrefix("launch \(b.path)/robot.launch: 1 node"))
                #expect(r.stderr.isEmpty)
            }
        }

        // a comes before b on VLMNODE_LAUNCH_PATH.
        try Self.launchFile("a").write(to: a.appendingPathComponent("robot.launch"), atomically: true, encoding: .utf8)
        let fromA = try Self.run(["launch", "--check", "robot"], cwd: cwd, launchPath: path)
        #expect(fromA.status == 0)
        #expect(fromA.stdout.hasPrefix("launch \(a.path)/robot.launch:") && fromA.stdout.contains("who = a"))
        #expect(fromA.stderr == "vlmnode: robot.launch: using \(a.path)/robot.launch (VLMNODE_LAUNCH_PATH); "
                + "also found, not used: \(b.path)/robot.launch (VLMNODE_LAUNCH_PATH)\n")

        // The current directory comes first of all.
        try Self.launchFile("cwd").write(to: cwd.appendingPathComponent("robot.launch"), atomically: true, encoding: .utf8)
        let fromCwd = try Self.run(["graph", "robot"], cwd: cwd, launchPath: path)
        #expect(fromCwd.stdout.hasPrefix("launch \(cwd.path)/robot.launch:") && fromCwd.stdout.contains("who = cwd"))
        #expect(fromCwd.stderr == "vlmnode: robot.launch: using \(cwd.path)/robot.launch (current directory); also found, not used: "
                + "\(a.path)/robot.launch (VLMNODE_LAUNCH_PATH), \(b.path)/robot.launch (VLMNODE_LAUNCH_PATH)\n")

        // --list: every copy, where, the one used first, its args with their docs.
        let list = try Self.run(["launch", "--list"], cwd: cwd, launchPath: path)
        #expect(list.status == 0)
        #expect(list.stdout.contains("  1. \(cwd.path) (current directory)\n  2. \(a.path) (VLMNODE_LAUNCH_PATH)\n  3. \(b.path) (VLMNODE_LAUNCH_PATH)\n"))
        #expect(list.stdout.contains("\nrobot.launch  \(cwd.path)/robot.launch  [current directory]\n    who  (default: cwd)  which copy\n"
                + "    shadowed, not used: \(a.path)/robot.launch  [VLMNODE_LAUNCH_PATH; differs]\n"
                + "    shadowed, not used: \(b.path)/robot.launch  [VLMNODE_LAUNCH_PATH; differs]\n"), "\(list.stdout)")
        // The shipped files come from the checkout this binary was built from.
        #expect(list.stdout.contains("\npick_place.launch  "))

        // A broken file is listed with its problem; the listing still succeeds.
        try "<launch><arg name=\"x\"></launch>\n".write(to: b.appendingPathComponent("broken.launch"), atomically: true, encoding: .utf8)
        let listed = try Self.run(["launch", "--list"], cwd: cwd, launchPath: path)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("\nbroken.launch  \(b.path)/broken.launch  [VLMNODE_LAUNCH_PATH]\n    (cannot read: \(b.path)/broken.launch:1:"), "\(listed.stdout)")

        let missing = try Self.run(["launch", "--check", "nothing"], cwd: cwd, launchPath: path)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("vlmnode: nothing: no such launch file (looked for nothing or nothing.launch in \(cwd.path) (current directory), \(a.path) (VLMNODE_LAUNCH_PATH)"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let neither = try Self.run(["launch"], cwd: cwd, launchPath: path)
        #expect(neither.status == 1 && neither.stderr.contains("--list"))
    }
}
