/// The closed word lists of the command grammar (docs/grounding.md explains each).
/// Everything outside these lists is treated as an attribute or noun of an object phrase.
enum Lexicon {
    /// Verb forms, longest first, with the action they mean. `particleAfterObject` marks phrasal
    /// verbs whose particle may also come after the object ("pick the cup up").
    struct VerbForm {
        let words: [String]
        let action: Action
        var particleAfterObject: String? = nil
        /// "give me X", "bring me X": the verb already names the recipient.
        var recipient: String? = nil
    }

    static let verbs: [VerbForm] = [
        .init(words: ["pick", "up"], action: .pick),
        .init(words: ["pick"], action: .pick, particleAfterObject: "up"),
        .init(words: ["lift", "up"], action: .pick),
        .init(words: ["grab"], action: .pick), .init(words: ["grasp"], action: .pick),
        .init(words: ["take"], action: .pick), .init(words: ["lift"], action: .pick),
        .init(words: ["get"], action: .pick),
        .init(words: ["put", "down"], action: .place),
        .init(words: ["put"], action: .put), .init(words: ["insert"], action: .put),
        .init(words: ["drop"], action: .put), .init(words: ["stack"], action: .put),
        .init(words: ["place"], action: .place), .init(words: ["set"], action: .place),
        .init(words: ["move"], action: .move), .init(words: ["slide"], action: .move),
        .init(words: ["carry"], action: .move), .init(words: ["transfer"], action: .move),
        .init(words: ["shift"], action: .move),
        .init(words: ["push"], action: .push), .init(words: ["nudge"], action: .push),
        .init(words: ["shove"], action: .push),
        .init(words: ["point", "to"], action: .point), .init(words: ["point", "at"], action: .point),
        .init(words: ["point", "out"], action: .point), .init(words: ["show", "me"], action: .point),
        .init(words: ["indicate"], action: .point),
        .init(words: ["look", "at"], action: .look), .init(words: ["look", "towards"], action: .look),
        .init(words: ["look", "toward"], action: .look), .init(words: ["focus", "on"], action: .look),
        .init(words: ["watch"], action: .look),
        .init(words: ["search", "for"], action: .find), .init(words: ["look", "for"], action: .find),
        .init(words: ["where", "is"], action: .find), .init(words: ["where's"], action: .find),
        .init(words: ["find"], action: .find), .init(words: ["locate"], action: .find),
        .init(words: ["detect"], action: .find), .init(words: ["spot"], action: .find),
        .init(words: ["go", "to"], action: .go), .init(words: ["navigate", "to"], action: .go),
        .init(words: ["drive", "to"], action: .go), .init(words: ["walk", "to"], action: .go),
        .init(words: ["head", "to"], action: .go), .init(words: ["move", "to"], action: .go),
        .init(words: ["approach"], action: .go),
        .init(words: ["give", "me"], action: .give, recipient: "me"),
        .init(words: ["hand", "me"], action: .give, recipient: "me"),
        .init(words: ["bring", "me"], action: .give, recipient: "me"),
        .init(words: ["pass", "me"], action: .give, recipient: "me"),
        .init(words: ["fetch", "me"], action: .give, recipient: "me"),
        .init(words: ["give"], action: .give), .init(words: ["hand"], action: .give),
        .init(words: ["bring"], action: .give), .init(words: ["pass"], action: .give),
        .init(words: ["fetch"], action: .give),
    ].sorted { $0.words.count > $1.words.count }

    /// Actions whose object must go somewhere: a destination is required. ("place the block" alone
    /// means set it down where the gripper is, so `place` does not need one.)
    static let needsDestination: Set<Action> = [.put, .move]
    /// Actions that accept a destination at all.
    static let takesDestination: Set<Action> = [.put, .place, .move, .push, .give]

    /// Leading and trailing words that carry politeness, not meaning.
    static let leadingFillers: [[String]] = [
        ["i", "want", "you", "to"], ["i", "need", "you", "to"], ["i'd", "like", "you", "to"],
        ["go", "ahead", "and"], ["can", "you"], ["could", "you"], ["would", "you"], ["will", "you"],
        ["hey", "robot"], ["robot"], ["please"], ["now"], ["then"], ["kindly"],
    ]
    static let trailingFillers: [[String]] = [["for", "me"], ["please"], ["now"], ["thanks"], ["thank", "you"]]

    static let determiners: Set<String> = ["the", "a", "an", "that", "this", "these", "those", "my", "your", "some", "any"]
    static let pronouns: Set<String> = ["it", "them", "that", "this"]

    /// Destination prepositions, longest first.
    static let relations: [(words: [String], relation: Relation)] = [
        (["to", "the", "left", "of"], .leftOf), (["to", "the", "right", "of"], .rightOf),
        (["on", "the", "left", "of"], .leftOf), (["on", "the", "right", "of"], .rightOf),
        (["in", "front", "of"], .inFrontOf), (["on", "top", "of"], .on), (["inside", "of"], .in),
        (["next", "to"], .nextTo), (["close", "to"], .near), (["closer", "to"], .near), (["left", "of"], .leftOf),
        (["right", "of"], .rightOf), (["into"], .in), (["inside"], .in), (["in"], .in),
        (["onto"], .on), (["on"], .on), (["upon"], .on), (["beside"], .nextTo), (["by"], .nextTo),
        (["behind"], .behind), (["above"], .above), (["over"], .above), (["below"], .below),
        (["under"], .below), (["underneath"], .below), (["beneath"], .below), (["near"], .near),
        (["toward"], .to), (["towards"], .to), (["to"], .to),
    ].sorted { $0.words.count > $1.words.count }

    /// Superlatives and position adjectives that select among candidates rather than describe them.
    static let qualifierWords: [String: SpatialQualifier] = [
        "leftmost": .leftmost, "left": .leftmost, "rightmost": .rightmost, "right": .rightmost,
        "topmost": .topmost, "uppermost": .topmost, "top": .topmost, "upper": .topmost, "highest": .topmost,
        "bottommost": .bottommost, "bottom": .bottommost, "lowest": .bottommost, "lower": .bottommost,
        "middle": .middle, "center": .middle, "centre": .middle, "central": .middle,
        "nearest": .nearest, "closest": .nearest, "farthest": .farthest, "furthest": .farthest,
        "largest": .largest, "biggest": .largest, "smallest": .smallest, "tiniest": .smallest,
    ]

    /// Position words that can also be the noun itself ("put it on the top").
    static let positionNouns: Set<String> = ["left", "right", "top", "bottom", "middle", "center", "centre", "upper", "lower"]

    static let ordinals: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
        "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6,
    ]

    /// Region names for destinations such as "to the left" / "in the middle".
    static let regions: [String: Region] = [
        "left": .left, "right": .right, "top": .top, "bottom": .bottom,
        "middle": .center, "center": .center, "centre": .center,
    ]

    /// Words that end a clause and start the next one when a verb follows them.
    static let clauseJoiners: [[String]] = [["and", "then"], ["and"], ["then"], [","], ["after", "that"]]

    static let recipients: Set<String> = ["me", "us", "here"]
}
