import Foundation
import VLMNode

/// Nodes on other machines: the launcher runs `ssh … vlmnode remote-node` as the node's process,
/// writes the handover (command, wiring, key files) to ssh's stdin and keeps that pipe open as
/// the node's lifeline; closing it is how the node is stopped (docs/multi-host.md).
extension Supervisor {
    /// ssh as the node's process, and the handover it will carry (docs/multi-host.md).
    func prepareRemote(_ m: Managed, machine: MachineDescription, context: LaunchContext) throws {
        let node = m.node
        var environment = node.description.environment
        environment[NodeWiring.environmentKey] = try graph.wiring(for: node, launch: context).jsonString()
        environment["VLMNODE_NAME"] = node.name
        environment["PYTHONUNBUFFERED"] = "1"
        var argv = node.description.arguments
        if let spec = node.spec { argv = try spec.arguments(graph.wiring(for: node, launch: context)) + argv }
        else { argv.insert(node.description.program ?? "", at: 0) }
        let handover = RemoteHandover(
            vlmnodeVersion: options.vlmnodeVersion, node: node.name, launchID: graph.launchID, machine: machine.name,
            builtin: node.spec != nil, argv: argv, environment: environment, cwd: node.description.cwd,
            files: try LaunchKeys.files(for: node, from: options.paths.socketDirectory.path + "/keys"),
            graceSeconds: max(0.2, options.shutdownTimeout - 1))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        m.handover = Array(try encoder.encode(handover)) + [UInt8(ascii: "\n")]
        m.argv = options.ssh.argv(for: machine, remote: SSHSettings.remoteCommand(machine))
        m.argv[0] = GraphBuilder.findInPath(m.argv[0], path: m.environment["PATH"]) ?? m.argv[0]
        // ssh gets the launcher's environment (its agent, HOME), never the node's wiring or keys.
        m.environment = ProcessInfo.processInfo.environment
    }

    /// Writes what the pipe takes of the handover without blocking the loop.
    func sendInput(_ m: Managed) {
        while m.inputFD >= 0, !m.pendingInput.isEmpty {
            let n = m.pendingInput.withUnsafeBytes { write(m.inputFD, $0.baseAddress, $0.count) }
            if n > 0 { m.pendingInput.removeFirst(n); continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN { return }
            closeInput(m)  // ssh is gone; reap() will tell
            return
        }
    }

    func closeInput(_ m: Managed) {
        guard m.inputFD >= 0 else { return }
        close(m.inputFD)
        m.inputFD = -1
        m.pendingInput.removeAll()
    }
}
