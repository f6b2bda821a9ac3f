import Testing
import TestSupport
@testable import VLMCore

/// The arange formulas Scripts/fixtures/make_checkpoint_fixtures.py uses, recomputed here.
enum CheckpointFixture {
    static func path(_ relative: String) -> String { Fixtures.url("checkpoints/" + relative).path }

    static let embed = (0 ..< 24).map { Float($0) * 0.125 - 1.5 }        // [4, 6]
    static let bias = (0 ..< 5).map { Float($0 + 1) * 0.25 }              // [5]
    static let positionIDs = (0 ..< 7).map { Int64($0) }                  // [1, 7] int64
    static let shared = (0 ..< 20).map { Float($0) * 0.25 }               // one storage, many views

    /// Reads `name` and checks dtype, shape and every value exactly.
    static func expect(_ store: TensorStore, _ name: String, _ dtype: StorageDType, _ shape: [Int], _ values: [Float],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tensor = try #require(try store.storedTensor(named: name), "missing \(name)", sourceLocation: sourceLocation)
        #expect(tensor.dtype == dtype, "\(name) dtype", sourceLocation: sourceLocation)
        #expect(tensor.shape == shape, "\(name) shape", sourceLocation: sourceLocation)
        #expect(try tensor.floats() == values, "\(name) values", sourceLocation: sourceLocation)
    }

    /// The five tensors every fixture checkpoint starts from, float ones stored as `dtype`.
    static func expectBase(_ store: TensorStore, _ dtype: StorageDType,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in ["embed.weight", "layer.0.bias", "scalar", "empty", "position_ids"] {
            #expect(store.tensorNames.contains(name), "\(name) listed", sourceLocation: sourceLocation)
        }
        try expect(store, "embed.weight", dtype, [4, 6], embed, sourceLocation: sourceLocation)
        try expect(store, "layer.0.bias", dtype, [5], bias, sourceLocation: sourceLocation)
        try expect(store, "scalar", dtype, [], [3.25], sourceLocation: sourceLocation)
        try expect(store, "empty", dtype, [0, 3], [], sourceLocation: sourceLocation)
        let ids = try #require(try store.storedTensor(named: "position_ids"), sourceLocation: sourceLocation)
        #expect(ids.dtype == .i64 && ids.shape == [1, 7], sourceLocation: sourceLocation)
        #expect(try ids.int64s() == positionIDs, sourceLocation: sourceLocation)
        #expect(try store.storedTensor(named: "no.such.tensor") == nil, sourceLocation: sourceLocation)
    }

    /// Runs `body`, which must throw a CheckpointError of `kind` whose message contains every fragment.
    static func expectError(_ kind: CheckpointError.Kind, _ fragments: [String],
                            sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(kind) error mentioning \(fragments)", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
            }
            #expect(!error.message.contains("\n"), "one line", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }
}
