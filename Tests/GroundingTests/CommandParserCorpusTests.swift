import Foundation
import Testing
@testable import Grounding

/// A compact, readable rendering of an intent: "actions | object {qualifier} | destination | recipient".
func summary(_ intent: CommandIntent) -> String {
    func phrase(_ p: ObjectPhrase) -> String { p.query + (p.qualifier.map { " {\($0.name)}" } ?? "") }
    var parts = [intent.steps.map(\.action.rawValue).joined(separator: "+"), phrase(intent.object)]
    if let d = intent.destination {
        let target = d.phrase.map(phrase) ?? "@\(d.region!.rawValue)"
        parts.append("\(d.relation.rawValue) \(target)")
    }
    if let r = intent.recipient { parts.append("to \(r)") }
    return parts.joined(separator: " | ")
}

/// The parser corpus: every command with the structure it must produce.
let corpus: [(String, String)] = [
    // pick
    ("pick up the red cup", "pick | red cup"),
    ("Pick up the red cup.", "pick | red cup"),
    ("pick the red cup up", "pick | red cup"),
    ("grab the blue bowl", "pick | blue bowl"),
    ("grasp the small green block", "pick | small green block"),
    ("take the apple", "pick | apple"),
    ("lift the wooden box", "pick | wooden box"),
    ("lift up the mug", "pick | mug"),
    ("get the banana", "pick | banana"),
    ("please pick up the yellow banana", "pick | yellow banana"),
    ("can you pick up the coffee mug please", "pick | coffee mug"),
    ("robot, pick up the cup", "pick | cup"),
    ("hey robot pick up the cup now", "pick | cup"),
    ("pick up the leftmost cup", "pick | cup {leftmost}"),
    ("pick up the rightmost cup", "pick | cup {rightmost}"),
    ("pick up the cup on the left", "pick | cup {leftmost}"),
    ("pick up the cup on the right side", "pick | cup {rightmost}"),
    ("pick up the left cup", "pick | cup {leftmost}"),
    ("pick up the top book", "pick | book {topmost}"),
    ("pick up the book at the bottom", "pick | book {bottommost}"),
    ("pick up the block in the middle", "pick | block {middle}"),
    ("pick up the largest red cup", "pick | red cup {largest}"),
    ("pick up the biggest apple", "pick | apple {largest}"),
    ("pick up the smallest box", "pick | box {smallest}"),
    ("pick up the nearest bottle", "pick | bottle {nearest}"),
    ("pick up the bottle closest to me", "pick | bottle {nearest}"),
    ("grab the farthest can", "pick | can {farthest}"),
    ("pick up the second cup from the left", "pick | cup {#2 from left}"),
    ("pick up the third cup from the right", "pick | cup {#3 from right}"),
    ("pick up the second cup", "pick | cup {#2 from left}"),
    ("pick up the 2nd block from the top", "pick | block {#2 from top}"),
    ("pick up the last cup", "pick | cup {rightmost}"),
    ("pick up the red one", "pick | red object"),
    ("pick up the black and white mug", "pick | black and white mug"),
    ("pick up the tennis ball", "pick | tennis ball"),
    ("pick up the half-empty bottle", "pick | half-empty bottle"),
    ("Pick up the RED cup!", "pick | red cup"),
    ("pick  up   the red    cup", "pick | red cup"),
    ("pick up one of the red cups", "pick | red cups"),
    ("i want you to pick up the marker", "pick | marker"),
    // pick and place
    ("pick up the red cup and put it in the blue bowl", "pick+put | red cup | in blue bowl"),
    ("pick up the red cup, then put it in the blue bowl", "pick+put | red cup | in blue bowl"),
    ("pick up the red cup and then place it on the plate", "pick+place | red cup | on plate"),
    ("grab the apple and drop it into the basket", "pick+put | apple | in basket"),
    ("take the spoon and put it next to the plate", "pick+put | spoon | next_to plate"),
    ("pick up the block and put it down", "pick+place | block"),
    ("pick up the leftmost cup and put it in the rightmost bowl", "pick+put | cup {leftmost} | in bowl {rightmost}"),
    ("pick up the green block and stack it on the red block", "pick+put | green block | on red block"),
    ("pick up the cup and move it to the left", "pick+move | cup | to @left"),
    ("pick up the toy then give it to me", "pick+give | toy | to me"),
    ("pick up the pen after that place it in the cup", "pick+place | pen | in cup"),
    // put / place
    ("put the red cup in the blue bowl", "put | red cup | in blue bowl"),
    ("put the apple into the basket", "put | apple | in basket"),
    ("put the book on the shelf", "put | book | on shelf"),
    ("put the book onto the shelf", "put | book | on shelf"),
    ("put the book on top of the box", "put | book | on box"),
    ("put the cup inside the drawer", "put | cup | in drawer"),
    ("put the cup next to the plate", "put | cup | next_to plate"),
    ("put the fork beside the knife", "put | fork | next_to knife"),
    ("put the cup to the left of the plate", "put | cup | left_of plate"),
    ("put the cup to the right of the plate", "put | cup | right_of plate"),
    ("put the cup left of the plate", "put | cup | left_of plate"),
    ("put the bottle behind the box", "put | bottle | behind box"),
    ("put the bottle in front of the box", "put | bottle | in_front_of box"),
    ("put the lamp above the table", "put | lamp | above table"),
    ("put the shoes under the bed", "put | shoes | below bed"),
    ("put the shoes underneath the bed", "put | shoes | below bed"),
    ("put the cup near the sink", "put | cup | near sink"),
    ("put the cup close to the sink", "put | cup | near sink"),
    ("put the cup on the left", "put | cup | on @left"),
    ("put the cup on the left in the bowl", "put | cup {leftmost} | in bowl"),
    ("put the cup on the right into the large bowl", "put | cup {rightmost} | in large bowl"),
    ("put the second cup from the left in the bowl", "put | cup {#2 from left} | in bowl"),
    ("put the red cup in the bowl on the right", "put | red cup | in bowl {rightmost}"),
    ("place the plate on the table", "place | plate | on table"),
    ("place the block", "place | block"),
    ("set the glass on the tray", "place | glass | on tray"),
    ("insert the plug into the socket", "put | plug | in socket"),
    ("drop the ball in the box", "put | ball | in box"),
    ("put the cup in the middle", "put | cup | in @center"),
    ("put the marker down", "place | marker"),
    // move / push
    ("move the red cup to the blue bowl", "move | red cup | to blue bowl"),
    ("move the box to the left", "move | box | to @left"),
    ("move the box to the right side", "move | box | to @right"),
    ("move the box left", "move | box | to @left"),
    ("slide the plate towards the edge", "move | plate | to edge"),
    ("carry the bag to the door", "move | bag | to door"),
    ("transfer the liquid into the beaker", "move | liquid | in beaker"),
    ("push the green block", "push | green block"),
    ("push the green block to the right", "push | green block | to @right"),
    ("push the box left", "push | box | to @left"),
    ("push the can toward the wall", "push | can | to wall"),
    ("nudge the cup closer to the plate", "push | cup | near plate"),
    // point / look / find
    ("point to the red cup", "point | red cup"),
    ("point at the dog", "point | dog"),
    ("point out the smallest apple", "point | apple {smallest}"),
    ("show me the remote control", "point | remote control"),
    ("look at the person", "look | person"),
    ("look towards the window", "look | window"),
    ("focus on the whiteboard", "look | whiteboard"),
    ("find the scissors", "find | scissors"),
    ("locate the keys", "find | keys"),
    ("where is the red cup?", "find | red cup"),
    ("where's the remote?", "find | remote"),
    ("search for the blue marker", "find | blue marker"),
    ("look for the screwdriver", "find | screwdriver"),
    ("find the biggest box", "find | box {largest}"),
    ("detect the robot gripper", "find | robot gripper"),
    // go
    ("go to the kitchen table", "go | kitchen table"),
    ("navigate to the charging station", "go | charging station"),
    ("move to the door", "go | door"),
    ("approach the red chair", "go | red chair"),
    ("drive to the nearest shelf", "go | shelf {nearest}"),
    // give
    ("give me the red cup", "give | red cup | to me"),
    ("hand me the screwdriver", "give | screwdriver | to me"),
    ("bring me the water bottle", "give | water bottle | to me"),
    ("bring the water bottle to me", "give | water bottle | to me"),
    ("bring the water bottle here", "give | water bottle | to me"),
    ("pass me the salt", "give | salt | to me"),
    ("give the ball to the child", "give | ball | to child"),
    ("fetch me the newspaper", "give | newspaper | to me"),
    ("could you hand me the blue pen please", "give | blue pen | to me"),
]

@Test(arguments: corpus)
func corpusCommandParses(command: String, expected: String) throws {
    let intent = try CommandParser.parse(command)
    #expect(summary(intent) == expected, "\(command)")
}

@Test func corpusIsLargeEnough() {
    #expect(corpus.count >= 100)
}

/// Commands the grammar must refuse, each with the exact one-line message.
let refused: [(String, String)] = [
    ("", "empty command: say what to do, e.g. 'pick up the red cup'"),
    ("   ", "empty command: say what to do, e.g. 'pick up the red cup'"),
    ("the red cup", "no action in 'the red cup': start with a verb such as pick up, put, move, push, point to, look at, find, go to or give"),
    ("pick up", "no object after 'pick up': name what to pick up, e.g. 'pick up the red cup'"),
    ("pick up the", "no object after 'pick up': name what to pick up, e.g. 'pick up the red cup'"),
    ("pick up the leftmost", "no object in 'leftmost': say what it is, e.g. 'the leftmost cup'"),
    ("put it down", "'it' refers to nothing in 'put it down': name the object first"),
    ("put the cup", "'put' needs a destination: where should the cup go? e.g. 'put the cup in the bowl'"),
    ("move the box", "'move' needs a destination: where should the box go? e.g. 'move the box in the bowl'"),
    ("don't pick up the cup", "'don't': negated commands are not supported; say what to do instead"),
    ("pick up the cup and find the bowl", "one object per command: found 'cup' and 'bowl'"),
    ("pick up the leftmost largest cup", "conflicting position words in 'leftmost largest cup': choose one of them"),
    ("pick up the cup from the left", "'from the left' needs a position such as 'second' in 'cup from the left'"),
    ("put the cup in", "no destination after 'in' in 'put the cup in'"),
    ("put the cup next to it", "'it' as a destination is ambiguous in 'put the cup next to it': name the place"),
    ("put the cup between the plates", "'between' destinations are not supported in 'put the cup between the plates': name one reference object"),
    ("dance", "no action in 'dance': start with a verb such as pick up, put, move, push, point to, look at, find, go to or give"),
]

@Test(arguments: refused)
func refusedCommandSaysWhy(command: String, message: String) {
    #expect(throws: CommandParseError(message)) { try CommandParser.parse(command) }
}

@Test func intentEncodesAsDocumentedJSON() throws {
    let intent = try CommandParser.parse("pick up the second red cup from the left and put it in the blue bowl")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(intent), as: UTF8.self)
    #expect(json.contains(#""action":"pick""#))
    #expect(json.contains(#""qualifier":{"from":"left","ordinal":2}"#))
    #expect(json.contains(#""destination":{"phrase":{"attributes":["blue"],"head":"bowl","query":"blue bowl","text":"blue bowl"},"relation":"in"}"#))
}
