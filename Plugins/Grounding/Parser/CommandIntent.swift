/// The structured meaning of an imperative command such as
/// "pick up the red cup and put it in the blue bowl": what to do, to which object, and where.
/// Produced by `CommandParser`; grounded in an image by the grounding pipeline.

/// What the robot is asked to do. Raw values are the names used in JSON and docs/grounding.md.
public enum Action: String, Codable, Sendable, CaseIterable {
    case pick, place, put, move, push, point, look, find, go, give
}

/// How to choose one candidate among several detections of the same phrase.
public enum SpatialQualifier: Equatable, Sendable {
    case leftmost, rightmost, topmost, bottommost, middle
    case nearest, farthest, largest, smallest
    /// "the second cup from the left": `index` counts from 1.
    case ordinal(index: Int, from: Side)

    public enum Side: String, Codable, Sendable { case left, right, top, bottom }
}

/// A noun phrase that names one object, split into what the detector is asked for (`query`) and
/// what is resolved geometrically afterwards (`qualifier`).
public struct ObjectPhrase: Equatable, Sendable {
    /// The words of the phrase as written, without determiners ("small red cup on the left").
    public var text: String
    /// What the detector and segmenter are asked to find: attributes + nouns ("small red cup").
    public var query: String
    /// The head noun, the last word of the query ("cup").
    public var head: String
    /// Adjectives before the head (colours, sizes, materials…), in order.
    public var attributes: [String]
    public var qualifier: SpatialQualifier?
}

/// Where an object should go relative to a reference object or an image region.
public enum Relation: String, Codable, Sendable, CaseIterable {
    case `in`, on, to, nextTo = "next_to", leftOf = "left_of", rightOf = "right_of"
    case behind, inFrontOf = "in_front_of", above, below, near
}

/// A named part of the image, for destinations such as "to the left".
public enum Region: String, Codable, Sendable { case left, right, top, bottom, center }

/// A destination: either relative to another object ("in the blue bowl") or a region ("to the left").
public struct Destination: Equatable, Sendable {
    public var relation: Relation
    public var phrase: ObjectPhrase?
    public var region: Region?
}

/// One verb of the command with its arguments, after pronouns were resolved.
public struct Step: Equatable, Sendable {
    public var action: Action
    public var object: ObjectPhrase
    public var destination: Destination?
    /// "give me the cup" / "bring the cup to me": who receives it.
    public var recipient: String?
}

/// The whole command: one object, acted on by one or more steps ("pick … and put it …").
public struct CommandIntent: Equatable, Sendable {
    public var command: String
    public var steps: [Step]

    /// The first step's action: what a controller starts with ("pick" for pick-and-place).
    public var action: Action { steps[0].action }
    /// The one object every step acts on.
    public var object: ObjectPhrase { steps[0].object }
    /// The last destination any step names, if any.
    public var destination: Destination? { steps.last(where: { $0.destination != nil })?.destination }
    public var recipient: String? { steps.last(where: { $0.recipient != nil })?.recipient }
}

/// Why a command could not be parsed. `description` is one line meant for the user.
public struct CommandParseError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
