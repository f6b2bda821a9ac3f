import Foundation

/// `vlmnode bag export`: rewrites a recording in another layout (an old `x-vlmnode-multipart` file
/// as Foxglove-native, or back), message by message with the original log times.
public enum BagExport {
    /// What a conversion did.
    public struct Result: Sendable, Equatable {
        public var messages = 0
        /// Derived channels of the input (annotations) that were regenerated, not copied.
        public var skippedDerived = 0
    }

    /// Converts `input` into `output` (created or truncated) in `format`.
    public static func convert(input: String, output: String, format: RecordFormat = .foxglove,
                               options: MCAPWriterOptions = MCAPWriterOptions()) throws -> Result {
        guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
            throw MCAPError.invalidUse("bag export: the output must differ from the input \(input)")
        }
        let reader = try MCAPReader(path: input)
        let writer: any RecordingFileWriter = format == .foxglove
            ? try FoxgloveRecordingWriter(path: output, options: options)
            : try WireRecordingWriter(path: output, options: options)
        var result = Result()
        let it = try reader.messages()
        while let m = try it.nextMessage() {
            guard let parts = try RecordedChannel.wireParts(channel: m.channel, data: m.data) else {
                result.skippedDerived += 1
                continue
            }
            // Copies: the views die with the next message, the writer keeps parts until its chunk is written.
            try writer.write(topic: m.channel.topic, parts: parts.map { Array($0) }, receiveTime: m.logTime)
            result.messages += 1
        }
        if let damage = reader.damage {
            try writer.finish()
            throw MCAPError.invalidUse("bag export: \(result.messages) messages converted, then \(damage)")
        }
        try writer.finish()
        return result
    }
}
