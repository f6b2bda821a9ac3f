import Foundation
import Testing
import TestSupport
import VLMNode

/// Scripts the supervision tests start as `exec` nodes.
let scripts: [String: String] = [
    "talker.sh": "echo hello from talker\necho to stderr >&2\nprintf 'no newline at the end'\nexec sleep 60\n",
    "listener.py": """
        import json, os, sys, time
        w = json.loads(os.environ["VLMNODE_WIRING"])
        c = w["inputs"]["chatter"]
        print("wired", w["name"], os.environ["VLMNODE_NAME"], c["topic"], c["type"], c["endpoint"], c["bind"], w["params"]["rate"])
        print("pid listener", os.getpid())
        time.sleep(60)
        """,
    // A background child of a non-interactive sh ignores SIGINT: only the group kill ends it.
    "spawner.sh": "sleep 60 &\necho pid grandchild $!\necho pid spawner $$\nwait\n",
    "stubborn.sh": "trap '' INT TERM\necho pid stubborn $$\nwhile true; do sleep 0.1; done\n",
    "once.sh": "echo pid once $$\nexec sleep 60\n",
    "fail.sh": "echo run\nexit 1\n",
    "boss.sh": "echo pid boss $$\nsleep 0.3\nexit 3\n",
]

func launchDir(_ main: String) throws -> LaunchFiles {
    try LaunchFiles(scripts.merging(["main.launch": main]) { $1 })
}

@Suite(.serialized) struct SupervisionTests {
    @Test func outputIsPrefixedLoggedAndNodesGetTheirWiring() throws {
        let files = try launchDir("""
            <launch>
              <node name="talker" type="exec" args="sh $(dirname)/talker.sh">
                <output name="chatter" type="vlm/Text"/>
              </node>
              <group ns="ears">
                <node name="listener" type="exec" exec="python3" args="$(dirname)/listener.py">
                  <param name="rate" value="2.5"/>
                  <input name="chatter" topic="/chatter" type="vlm/Text"/>
                </node>
              </group>
              <node name="quiet" type="exec" args="sh -c 'echo only in the log; exec sleep 60'" output="log"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        let quietLog = launcher.logDir + "/quiet.log"
        #expect(poll(timeout: 10) {
            launcher.stdout.contains("[ears/listener] pid listener") && launcher.stdout.contains("[talker] to stderr")
                && ((try? String(contentsOfFile: quietLog, encoding: .utf8))?.contains("only in the log\n") ?? false)
        })
        let graph = try #require(launcher.graph)
        let endpoint = try #require(graph.topic(named: "/chatter")?.endpoint)
        #expect(endpoint == "ipc://\(files.runtime)/\(launcher.launchID)/chatter.sock")
        #expect(graph.topic(named: "/chatter")?.publisher == "/talker")
        #expect(graph.topic(named: "/chatter")?.subscribers == ["/ears/listener"])
        #expect(GraphRegistry.lookup(topic: "/chatter", environment: ["VLMNODE_RUNTIME_DIR": files.runtime])?.endpoint == endpoint)
        let pids = graph.nodes.compactMap(\.pid)
        #expect(pids.count == 3)

        launcher.signal(SIGINT)
        let status = launcher.waitExit(timeout: 5)
        #expect(status == 0)
        let out = launcher.stdout
        #expect(out.contains("[talker] hello from talker\n"))
        #expect(!out.contains("only in the log"))
        #expect(launcher.stderr.contains("[launch] topic /chatter (vlm/Text) at \(endpoint): /talker -> /ears/listener\n"))
        #expect(out.contains("[talker] no newline at the end\n"))
        #expect(out.contains("[ears/listener] wired /ears/listener /ears/listener /chatter vlm/Text \(endpoint) False 2.5\n"))
        let log = try String(contentsOfFile: launcher.logDir + "/talker.log", encoding: .utf8)
        #expect(log.contains("\nhello from talker\nto stderr\n"))
        #expect(FileManager.default.fileExists(atPath: launcher.logDir + "/ears.listener.log"))
        #expect(pids.allSatisfy(processGone))
        // The graph file and the sockets directory go with the launch.
        #expect(!FileManager.default.fileExists(atPath: launcher.graphFile.path))
        #expect(GraphRegistry.lookup(topic: "/chatter", environment: ["VLMNODE_RUNTIME_DIR": files.runtime]) == nil)
    }

    @Test func killedRespawnNodeComesBack() throws {
        let files = try launchDir("""
            <launch>
              <node name="worker" type="exec" args="sh $(dirname)/once.sh" respawn="true" respawn_delay="0.2"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        #expect(poll(timeout: 10) { launcher.nodePID("/worker") != nil })
        let first = try #require(launcher.nodePID("/worker"))
        kill(first, SIGKILL)
        #expect(poll(timeout: 5) { (launcher.nodePID("/worker") ?? first) != first })
        let second = try #require(launcher.nodePID("/worker"))
        #expect(second != first && !processGone(second))
        #expect(poll(timeout: 5) { printedPIDs(launcher.stdout).count == 2 })
        launcher.signal(SIGINT)
        #expect(launcher.waitExit(timeout: 5) == 0)
        #expect(launcher.stderr.contains("/worker killed by signal 9 (SIGKILL); respawning in 0.2 s (1/10)"))
        #expect(processGone(second))
    }

    @Test func respawnGivesUpAfterItsCap() throws {
        let files = try launchDir("""
            <launch>
              <node name="flaky" type="exec" args="sh $(dirname)/fail.sh" respawn="true" respawn_delay="0" respawn_max="2"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        #expect(launcher.waitExit(timeout: 10) == 3)
        #expect(launcher.stdout == "[flaky] run\n[flaky] run\n[flaky] run\n")
        #expect(launcher.stderr.contains("/flaky exited with status 1 (gave up after 2 respawns)"))
    }

    @Test func requiredNodeExitEndsTheGraph() throws {
        let files = try launchDir("""
            <launch>
              <node name="helper" type="exec" args="sh $(dirname)/spawner.sh"/>
              <node name="boss" type="exec" args="sh $(dirname)/boss.sh" required="true"/>
            </launch>
            """)
        let start = Date()
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        let status = launcher.waitExit(timeout: 10)
        #expect(status == 2)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(launcher.stderr.contains("required node /boss exited with status 3; shutting down"))
        let pids = printedPIDs(launcher.stdout)
        #expect(pids.count == 3)
        #expect(pids.allSatisfy(processGone))
    }

    @Test func sigintEndsEverythingWithinTheDeadline() throws {
        let files = try launchDir("""
            <launch>
              <node name="a" type="exec" args="sh $(dirname)/spawner.sh"/>
              <node name="b" type="exec" args="sh $(dirname)/once.sh"/>
              <node name="c" type="exec" exec="python3" args="-c 'import os, time; print(&quot;pid c&quot;, os.getpid(), flush=True); time.sleep(60)'"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        #expect(poll(timeout: 10) { printedPIDs(launcher.stdout).count == 4 })
        let pids = printedPIDs(launcher.stdout)
        let start = Date()
        launcher.signal(SIGINT)
        let status = launcher.waitExit(timeout: 10)
        #expect(status == 0)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(pids.allSatisfy(processGone))
    }

    @Test func nodeIgnoringSigintIsKilledAtTheDeadline() throws {
        let files = try launchDir("""
            <launch>
              <node name="stubborn" type="exec" args="sh $(dirname)/stubborn.sh"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, arguments: ["--shutdown-timeout", "0.5"], runtime: files.runtime)
        #expect(poll(timeout: 10) { printedPIDs(launcher.stdout).count == 1 })
        let start = Date()
        launcher.signal(SIGTERM)
        #expect(launcher.waitExit(timeout: 10) == 4)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.5 && elapsed < 3)
        #expect(launcher.stderr.contains("/stubborn did not stop within 0.5 s; sending SIGKILL"))
        #expect(printedPIDs(launcher.stdout).allSatisfy(processGone))
    }

    @Test func sigkilledLauncherStillEndsItsNodes() throws {
        let files = try launchDir("""
            <launch>
              <node name="a" type="exec" args="sh $(dirname)/spawner.sh"/>
              <node name="b" type="exec" args="sh $(dirname)/stubborn.sh"/>
              <node name="c" type="exec" args="sh $(dirname)/once.sh"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, arguments: ["--shutdown-timeout", "1"], runtime: files.runtime)
        #expect(poll(timeout: 10) { printedPIDs(launcher.stdout).count == 4 })
        let pids = printedPIDs(launcher.stdout)
        launcher.signal(SIGKILL)
        _ = launcher.waitExit(timeout: 5)
        // Parent-death signal ends the direct children; the guardian ends their groups (the
        // grandchild, and the node that ignores SIGTERM, after its 1 s grace).
        #expect(poll(timeout: 3) { pids.allSatisfy(processGone) })
        // The stale graph file is not reported as a running launch, and the next launch removes it.
        let env = ["VLMNODE_RUNTIME_DIR": files.runtime]
        #expect(FileManager.default.fileExists(atPath: launcher.graphFile.path))
        #expect(GraphRegistry.running(environment: env).isEmpty)
        #expect(GraphRegistry.removeStale(environment: env) == [launcher.launchID])
        #expect(!FileManager.default.fileExists(atPath: launcher.graphFile.path))
        #expect(!FileManager.default.fileExists(atPath: files.runtime + "/" + launcher.launchID))
    }

    @Test func nodeThatCannotStartIsAnError() throws {
        let files = try launchDir("""
            <launch>
              <node name="ok" type="exec" args="sh $(dirname)/once.sh"/>
              <node name="lost" type="exec" args="true" cwd="/nonexistent-vlt"/>
            </launch>
            """)
        let launcher = try RunningLauncher(file: files.main, runtime: files.runtime)
        #expect(launcher.waitExit(timeout: 10) == 2)
        #expect(launcher.stderr.contains("/lost: cannot start /"))
        #expect(launcher.stderr.contains("No such file or directory (errno 2)"))
        #expect(printedPIDs(launcher.stdout).allSatisfy(processGone))
    }
}
