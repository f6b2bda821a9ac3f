import Foundation

/// What `vlmnode doctor` found: sections of `key  value` lines, each problem with its fix. Problems
/// are findings, not failures: the command still exits 0.
struct DoctorReport {
    struct Problem {
        var what: String
        var fix: String
    }

    enum Line {
        case item(String, String)
        case problem(Problem)
    }

    struct Section {
        var title: String
        var lines: [Line] = []

        mutating func add(_ key: String, _ value: String) { lines.append(.item(key, value)) }
        mutating func problem(_ what: String, fix: String) { lines.append(.problem(Problem(what: what, fix: fix))) }

        var problems: [Problem] {
            lines.compactMap { if case .problem(let p) = $0 { p } else { nil } }
        }
    }

    var sections: [Section] = []

    var problems: [Problem] { sections.flatMap(\.problems) }

    /// One screen of plain text for a bug report; every problem is followed by its `fix:` line.
    var text: String {
        var out = "vlmnode doctor (paste this into a bug report)\n"
        for section in sections {
            out += "\n== \(section.title) ==\n"
            let width = min(22, section.lines.map { if case .item(let k, _) = $0 { k.count } else { 0 } }.max() ?? 0)
            for line in section.lines {
                switch line {
                case .item(let key, let value):
                    out += "  " + key.padding(toLength: max(width, key.count), withPad: " ", startingAt: 0) + "  \(value)\n"
                case .problem(let p):
                    out += "  PROBLEM: \(p.what)\n      fix: \(p.fix)\n"
                }
            }
        }
        let found = problems
        out += "\n== summary ==\n"
        if found.isEmpty {
            out += "  no problems found\n"
        } else {
            out += "  \(found.count) problem\(found.count == 1 ? "" : "s") found:\n"
            for p in found { out += "  - \(p.what)\n" }
        }
        return out
    }
}
