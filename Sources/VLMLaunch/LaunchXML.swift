import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Stage 1 output: a launch file's element tree, untouched (no substitution yet), with locations.
public struct LaunchElement: Sendable, Hashable {
    public var name: String
    public var attributes: [String: String]
    public var children: [LaunchElement]
    public var location: SourceLocation

    public init(name: String, attributes: [String: String], children: [LaunchElement] = [], location: SourceLocation) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.location = location
    }
}

/// Stage 1: XML text -> `LaunchElement` tree. Syntax errors carry line and column.
public enum LaunchXMLParser {
    /// Reads and parses `path`; `displayPath` is how diagnostics name the file.
    public static func parse(fileAt path: String, displayPath: String? = nil, limits: LaunchLimits = .current) throws -> LaunchElement {
        let shown = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                throw LaunchError("\(shown): is a directory, not a launch file", at: nil)
            }
            throw LaunchError(FileManager.default.fileExists(atPath: path)
                              ? "\(shown): cannot read launch file" : "\(shown): no such launch file", at: nil)
        }
        return try parse(data: data, file: shown, limits: limits)
    }

    /// Nesting deeper than `limits.maxDepth` or more than `limits.maxElements` elements stop the
    /// parse with an error (a deep tree would overflow the stack in every recursive walk).
    public static func parse(data: Data, file: String, limits: LaunchLimits = .current) throws -> LaunchElement {
        let bytes = [UInt8](data)
        // FoundationXML traps (SIGILL) turning invalid UTF-8 in a comment into a String: refuse such
        // bytes here, for every file (included ones too), before the parser sees them.
        if let bad = firstInvalidUTF8(bytes) {
            let before = bytes[..<bad]
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let location = SourceLocation(file: file, line: 1 + before.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) },
                                          column: bad - lineStart + 1)
            throw LaunchError("not UTF-8: byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at byte offset \(bad) "
                              + "(launch files must be UTF-8)", at: location, showsColumn: true)
        }
        let parser = XMLParser(data: data)
        let builder = TreeBuilder(file: file, bytes: bytes, limits: limits)
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        _ = parser.parse()
        // FoundationXML may report success after a recoverable error: trust the first error seen.
        if let error = builder.firstError {
            throw error
        }
        if let error = parser.parserError {
            let location = SourceLocation(file: file, line: parser.lineNumber, column: parser.columnNumber)
            throw LaunchError("malformed XML: \(describe(error))", at: location, showsColumn: true)
        }
        guard let root = builder.root else {
            throw LaunchError("malformed XML: the document is empty", at: SourceLocation(file: file, line: 1, column: 1),
                              showsColumn: true)
        }
        return root
    }

    /// The offset of the first byte that does not begin a valid UTF-8 sequence; nil when all are valid.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// libxml2's error codes (what FoundationXML reports) in words.
    static func describe(_ error: Error) -> String {
        let code = (error as NSError).code
        let known: [Int: String] = [
            4: "the document is empty", 5: "unexpected end of document or extra content after the root element",
            23: "entity reference is missing its ';'", 26: "undeclared entity", 38: "'<' inside an attribute value",
            39: "attribute value must be quoted", 40: "attribute value is not closed",
            41: "attribute has no value", 42: "attribute given twice", 45: "comment is not closed",
            64: "XML declaration is not finished", 65: "a space is required here",
            68: "a name is required here", 73: "'>' expected", 76: "closing tag does not match the opening tag",
            77: "element is not closed", 89: "entities expand too much or refer to themselves (entity amplification)",
        ]
        return known[code] ?? "XML error \(code)"
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        let file: String
        let bytes: [UInt8]
        var lineStarts: [Int] = [0]
        var stack: [LaunchElement] = []
        var root: LaunchElement?
        var firstError: LaunchError?
        let limits: LaunchLimits
        var elementCount = 0

        init(file: String, bytes: [UInt8], limits: LaunchLimits) {
            self.file = file
            self.bytes = bytes
            self.limits = limits
            for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { lineStarts.append(i + 1) }
        }

        /// libxml2 reports the position where the start tag ends; walk back to its `<name`.
        func startLocation(name: String, parser: XMLParser) -> SourceLocation {
            let line = max(1, min(parser.lineNumber, lineStarts.count))
            var offset = min(bytes.count, lineStarts[line - 1] + max(0, parser.columnNumber - 1))
            let pattern = [UInt8(ascii: "<")] + Array(name.utf8)
            while offset >= 0 {
                if offset + pattern.count <= bytes.count, bytes[offset] == pattern[0],
                   Array(bytes[offset..<offset + pattern.count]) == pattern {
                    break
                }
                offset -= 1
            }
            guard offset >= 0 else { return SourceLocation(file: file, line: line, column: parser.columnNumber) }
            var startLine = 0
            var lo = 0, hi = lineStarts.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if lineStarts[mid] <= offset { startLine = mid; lo = mid + 1 } else { hi = mid - 1 }
            }
            return SourceLocation(file: file, line: startLine + 1, column: offset - lineStarts[startLine] + 1)
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            guard firstError == nil else { return }
            elementCount += 1
            if stack.count >= limits.maxDepth || elementCount > limits.maxElements {
                let what = stack.count >= limits.maxDepth
                    ? "elements nest deeper than \(limits.maxDepth) levels (VLMNODE_LAUNCH_MAX_DEPTH)"
                    : "more than \(limits.maxElements) elements (VLMNODE_LAUNCH_MAX_ELEMENTS)"
                firstError = LaunchError(what, at: SourceLocation(file: file, line: parser.lineNumber, column: parser.columnNumber),
                                         showsColumn: true)
                stack.removeAll()
                parser.abortParsing()
                return
            }
            stack.append(LaunchElement(name: elementName, attributes: attributes,
                                       location: startLocation(name: elementName, parser: parser)))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard firstError == nil, let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            guard firstError == nil else { return }
            var what = LaunchXMLParser.describe(parseError)
            let code = (parseError as NSError).code
            if let open = stack.last, code == 76 || code == 5 || code == 77 {
                // The open element is the useful half of a mismatch: name it and where it started.
                what = code == 76 ? "closing tag does not match <\(open.name)> opened at line \(open.location.line)"
                                  : "<\(open.name)> opened at line \(open.location.line) is never closed"
            }
            firstError = LaunchError("malformed XML: \(what)",
                                     at: SourceLocation(file: file, line: parser.lineNumber, column: parser.columnNumber),
                                     showsColumn: true)
        }
    }
}
