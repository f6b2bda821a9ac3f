import Foundation
import Testing
import TestSupport
import VLMBus
@testable import VLMLaunch
import VLMNode

/// Launch files from others (issue 15, finding 7): each input once crashed, hung or exhausted
/// memory; now each is one error line from a bounded amount of work.
@Suite struct HostileLaunchTests {
    /// Loads `main` and returns the error line (DIR for the directory), failing if it loaded.
    func refusal(_ main: String, more: [String: String] = [:]) throws -> String {
        let files = try LaunchFiles(more.merging(["main.launch": main]) { $1 })
        let text = try #require(files.errorText(), "loaded although it should not")
        #expect(!text.contains("\n"), "one line")
        #expect(text.count < 300, "a short line: \(text.prefix(300))")
        return text
    }

    @Test func tenThousandNestedGroupsAreADepthError() throws {
        let text = try refusal("<launch>" + String(repeating: "<group>", count: 10_000) + String(repeating: "</group>", count: 10_000) + "</launch>")
        #expect(text.hasPrefix("DIR/main.launch:1:") && text.hasSuffix("elements nest deeper than 64 levels (VLMNODE_LAUNCH_MAX_DEPTH)"), "\(text)")
    }

    @Test func hundredThousandNestedElementsAreADepthError() throws {
        // Used to overflow the stack freeing the tree (a recursive deinit), after parsing it.
        let text = try refusal("<launch>" + String(repeating: "<group>", count: 100_000) + String(repeating: "</group>", count: 100_000) + "</launch>")
        #expect(text.contains("elements nest deeper than 64 levels"), "\(text)")
    }

    @Test func tooManyElementsAreAnError() throws {
        let limits = LaunchLimits(maxDepth: 64, maxElements: 1000, maxNesting: 16, maxValueBytes: 1 << 20, maxIncludes: 256)
        let xml = "<launch>" + String(repeating: "<group/>", count: 1001) + "</launch>"
        #expect(throws: LaunchError.self) { try LaunchXMLParser.parse(data: Data(xml.utf8), file: "f", limits: limits) }
        let fits = "<launch>" + String(repeating: "<group/>", count: 998) + "</launch>"
        #expect(try LaunchXMLParser.parse(data: Data(fits.utf8), file: "f", limits: limits).children.count == 998)
    }

    @Test func doublingArgsStopAtTheValueLimit() throws {
        var xml = "<launch>\n<arg name=\"a0\" default=\"xxxxxxxxxxxxxxxx\"/>\n"
        for i in 1..<40 { xml += "<arg name=\"a\(i)\" default=\"$(arg a\(i - 1))$(arg a\(i - 1))\"/>\n" }
        let text = try refusal(xml + "</launch>\n")
        // a16 (line 18) is 16 << 16 bytes = 1 MiB and fits; a17 (line 19) does not.
        #expect(text == "DIR/main.launch:19: value grows past 1048576 bytes after substitution (VLMNODE_LAUNCH_MAX_VALUE_BYTES)", "\(text)")
    }

    @Test func hugeRespawnNumbersAreErrorsNotTraps() throws {
        #expect(try refusal("<launch>\n<node name=\"n\" type=\"exec\" exec=\"true\" respawn=\"true\" respawn_max=\"1e19\"/>\n</launch>")
                == "DIR/main.launch:2: respawn_max=\"1e19\" must be a whole number from 0 to 1000000")
        #expect(try refusal("<launch>\n<node name=\"n\" type=\"exec\" exec=\"true\" respawn=\"true\" respawn_max=\"99999999999999999999\"/>\n</launch>")
                .contains("must be a whole number from 0 to 1000000"))
        #expect(try refusal("<launch>\n<node name=\"n\" type=\"exec\" exec=\"true\" respawn=\"true\" respawn_delay=\"1e300\"/>\n</launch>")
                == "DIR/main.launch:2: respawn_delay=\"1e300\" must be a number from 0 to 86400")
        #expect(try refusal("<launch>\n<node name=\"n\" type=\"exec\" exec=\"true\" respawn=\"true\" respawn_delay=\"nan\"/>\n</launch>")
                .contains("must be a number from 0 to 86400"))
        // Rendering a graph (launch --check) never converts an out-of-range double to Int.
        #expect(GraphRender.format(1e300) == "1e+300" && GraphRender.format(2) == "2")
    }

    @Test func nestedOptenvIsANestingErrorQuickly() throws {
        let n = 10_000
        let value = String(repeating: "$(optenv VLT_UNSET ", count: n) + "z" + String(repeating: ")", count: n)
        let start = Date()
        let text = try refusal("<launch>\n<arg name=\"x\" default=\"\(value)\"/>\n</launch>")
        #expect(text == "DIR/main.launch:2: substitutions nest deeper than 16 levels (VLMNODE_LAUNCH_MAX_NESTING)")
        // Was 14-22 s (quadratic); a gross bound only, the machine is shared.
        #expect(Date().timeIntervalSince(start) < 10)
        // Within the limit nesting still works.
        let files = try LaunchFiles(["main.launch": "<launch>\n<arg name=\"x\" default=\"$(optenv VLT_UNSET $(optenv VLT_UNSET $(optenv VLT_SET z)))\"/>\n</launch>"])
        #expect(try files.load().args.first { $0.name == "x" }?.value == "from-env")
    }

    @Test func deeplyNestedListParamIsRefusedQuickly() throws {
        let n = 10_000
        let start = Date()
        let text = try refusal("<launch>\n<node name=\"n\" type=\"exec\" exec=\"true\">\n<param name=\"p\" type=\"list\" value=\""
                               + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\"/>\n</node>\n</launch>")
        #expect(text.hasPrefix("DIR/main.launch:3: param 'p': \"[[[[") && text.hasSuffix("is not a valid list (lists nest at most 16 deep)"), "\(text)")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(ParamValue.parse("[[1, 2], [3]]") == .list([.list([.int(1), .int(2)]), .list([.int(3)])]))
    }

    @Test func includeFanOutStopsAtTheIncludeLimit() throws {
        // Each file includes the next twice: 2^30 includes unbounded.
        var more: [String: String] = ["f30.launch": "<launch/>"]
        for i in 1..<30 { more["f\(i).launch"] = "<launch><include file=\"f\(i + 1).launch\"/><include file=\"f\(i + 1).launch\"/></launch>" }
        let start = Date()
        let text = try refusal("<launch>\n<include file=\"f1.launch\"/>\n<include file=\"f1.launch\"/>\n</launch>", more: more)
        #expect(text.hasSuffix("more than 256 includes in one launch (VLMNODE_LAUNCH_MAX_INCLUDES)"), "\(text)")
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func billionLaughsIsAnXMLError() throws {
        var entities = "<!ENTITY e0 \"xxxxxxxxxx\">\n"
        for i in 1...9 { entities += "<!ENTITY e\(i) \"" + String(repeating: "&e\(i - 1);", count: 10) + "\">\n" }
        let text = try refusal("<?xml version=\"1.0\"?>\n<!DOCTYPE launch [\n\(entities)]>\n<launch><arg name=\"x\" default=\"&e9;\"/></launch>\n")
        #expect(text.hasSuffix("malformed XML: entities expand too much or refer to themselves (entity amplification)"), "\(text)")
    }

    @Test func limitsComeFromTheEnvironment() {
        let limits = LaunchLimits(environment: ["VLMNODE_LAUNCH_MAX_DEPTH": "200", "VLMNODE_LAUNCH_MAX_INCLUDES": "x",
                                                "VLMNODE_LAUNCH_MAX_VALUE_BYTES": "-1"])
        #expect(limits.maxDepth == 200 && limits.maxIncludes == 256 && limits.maxValueBytes == 1 << 20)
    }

    // MARK: endpoints (findings 2 and 16)

    func endpointRefusal(_ endpoint: String, type: String = "source") throws -> String? {
        let node = type == "source"
            ? "<node name=\"cam\" type=\"source\"><param name=\"input\" value=\"lavfi:testsrc\"/><output name=\"image\" endpoint=\"\(endpoint)\"/></node>"
            : "<node name=\"cam\" type=\"exec\" exec=\"true\"><output name=\"image\" type=\"vlm/Frame\" endpoint=\"\(endpoint)\"/></node>"
        return try LaunchFiles(["main.launch": "<launch>\n\(node)\n</launch>\n"]).errorText()
    }

    @Test func ipcEndpointOverAnExistingFileIsRefusedAndTheFileKept() throws {
        let dir = try makeTemporaryDirectory("launch-ipc")
        let file = dir.appendingPathComponent("notes.txt")
        try "keep me".write(to: file, atomically: true, encoding: .utf8)
        for type in ["source", "exec"] {
            let text = try #require(try endpointRefusal("ipc://\(file.path)", type: type))
            #expect(text == "DIR/main.launch:2: node '/cam': output 'image': \(file.path) is an existing file; binding would delete it (remove it yourself or pick another path) (ipc://\(file.path))")
        }
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: file.path)
        #expect(try endpointRefusal("ipc://\(link.path)")?.contains("is a symbolic link") == true)
        #expect(try endpointRefusal("ipc://\(dir.path)")?.contains("is a directory") == true)
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep me")
        #expect(try endpointRefusal("ipc://\(dir.path)/fresh.sock") == nil)
    }

    @Test func checkRefusesWhatBuiltInNodesRefuseAtRunTime() throws {
        #expect(try endpointRefusal("tcp://0.0.0.0:5555")
                == "DIR/main.launch:2: node '/cam': output 'image': built-in nodes bind loopback addresses only, and 0.0.0.0 is not one (tcp://0.0.0.0:5555)")
        #expect(try endpointRefusal("tcp://0.0.0.0:5555", type: "exec") == nil, "an exec node binds with its own code")
        #expect(try endpointRefusal("ipc://@vlt-abstract")?.contains("abstract socket names have no file permissions") == true)
        #expect(try endpointRefusal("tcp://localhost:5555") == nil)
        #expect(try endpointRefusal("tcp://[::1]:5555") == nil)
    }

    @Test func launchRefusesARuntimeDirectoryOthersCanWrite() throws {
        let dir = try makeTemporaryDirectory("launch-rt")
        let runtime = dir.appendingPathComponent("rt")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: false)
        chmod(runtime.path, 0o777)
        let file = dir.appendingPathComponent("main.launch")
        let marker = dir.appendingPathComponent("MARKER")
        try "<launch><node name=\"m\" type=\"exec\" args=\"touch \(marker.path)\"/></launch>".write(to: file, atomically: true, encoding: .utf8)
        let result = try VLMNodeBinary.run(["launch", file.path], environment: ["VLMNODE_RUNTIME_DIR": runtime.path], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("runtime directory \(runtime.path) is writable by others (mode 777)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker.path), "nothing started")
        #expect(GraphRegistry.ownershipProblem(of: runtime)?.contains("chmod 700") == true)
        chmod(runtime.path, 0o700)
        #expect(GraphRegistry.ownershipProblem(of: runtime) == nil)
        if getuid() == 0 {
            // Running as root: hand the directory to another uid, as another user's would be.
            chown(runtime.path, 12345, 12345)
            #expect(GraphRegistry.ownershipProblem(of: runtime)?.contains("belongs to uid 12345") == true)
        }
        let link = dir.appendingPathComponent("rt-link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: runtime.path)
        #expect(GraphRegistry.ownershipProblem(of: link)?.contains("is not a directory") == true)
        #expect(GraphRegistry.ownershipProblem(of: dir.appendingPathComponent("missing")) == nil)
    }
}
