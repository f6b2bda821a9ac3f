import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench load DIR`: how long opening a checkpoint folder takes and what it costs in RSS,
/// both for the open itself (map + validate) and for converting every tensor to fp32 afterwards.
struct BenchLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Time opening a model folder's weights (memory map + validation) and converting them to fp32.",
        discussion: "Page-cache state matters: the first run after writing or copying a checkpoint may read from disk.")

    @Argument(help: "A model folder (model.safetensors, pytorch_model.bin, or a sharded index).")
    var folder: String

    @Option(help: "How many times to open the folder; the figures are the fastest and the median.")
    var repeats = 5

    @Option(help: "Another folder with the same weights (e.g. the .bin twin of a .safetensors folder): check every tensor matches.")
    var compare: String?

    @Flag(help: "Drop the folder's files from the page cache (posix_fadvise DONTNEED) before opening and before paging in, to time reads from disk.")
    var evictCache = false

    @Flag(help: "Call Checkpoint.prefetch() (MADV_WILLNEED) before paging in.")
    var prefetch = false

    mutating func run() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        print("load average: \(Bench.loadAverage())")
        let rssStart = residentBytes()
        var openTimes: [Double] = []
        var checkpoint: Checkpoint?
        var rssAfterOpen = 0
        if evictCache { evictFolderFromPageCache() }
        for _ in 0 ..< repeats {
            checkpoint = nil
            let start = DispatchTime.now()
            let opened = try Checkpoint.open(folder: folder)
            openTimes.append(milliseconds(since: start))
            rssAfterOpen = max(rssAfterOpen, residentBytes())
            checkpoint = opened
        }
        guard let checkpoint else { return }
        let summary = checkpoint.summary()
        print(summary)
        let first = openTimes[0]
        openTimes.sort()
        print(String(format: "open (map + parse + validate): first %.2f ms%@, best %.2f ms, median %.2f ms over %d runs; RSS +%@",
                     first, evictCache ? " (cold cache)" : "", openTimes[0], openTimes[openTimes.count / 2], repeats,
                     mebibytes(rssAfterOpen - rssStart)))
        if evictCache { evictFolderFromPageCache() }

        // Reading every stored byte once in place (a zero-copy fp32 model pays only this: page faults).
        let touchStart = DispatchTime.now()
        if prefetch { checkpoint.prefetch() }
        var checksum: UInt8 = 0
        for name in checkpoint.tensorNames {
            guard let bytes = try checkpoint.storedTensor(named: name)?.bytes else { continue }
            for offset in stride(from: 0, to: bytes.count, by: 4096) { checksum &+= bytes[offset] }
        }
        let touch = milliseconds(since: touchStart)
        print(String(format: "page in every tensor byte in place%@: %.1f ms; RSS +%@ (checksum %d)",
                     (evictCache ? " (cold cache)" : "") + (prefetch ? " after prefetch()" : ""), touch, mebibytes(residentBytes() - rssStart), checksum))

        // What building a model costs on top: every tensor as a fresh fp32 array (pages the file in).
        let start = DispatchTime.now()
        var floats: [[Float]] = []
        floats.reserveCapacity(checkpoint.tensorNames.count)
        for name in checkpoint.tensorNames {
            guard let tensor = try checkpoint.storedTensor(named: name) else { continue }
            floats.append(try tensor.floats())
        }
        let convert = milliseconds(since: start)
        let rssAfterConvert = residentBytes()
        let total = floats.reduce(0) { $0 + $1.count }
        print(String(format: "then an fp32 copy of all %d tensors (%d values): %.1f ms; RSS +%@ (process RSS %@)",
                     floats.count, total, convert, mebibytes(rssAfterConvert - rssStart),
                     mebibytes(rssAfterConvert)))
        if let compare { try verify(checkpoint, against: compare) }
    }

    /// Same names, shapes and fp32 values in both checkpoints; throws naming the first difference.
    private func verify(_ checkpoint: Checkpoint, against other: String) throws {
        let twin = try Checkpoint.open(folder: other)
        guard twin.tensorNames == checkpoint.tensorNames else {
            let missing = Set(checkpoint.tensorNames).symmetricDifference(twin.tensorNames).sorted().prefix(3)
            throw CLIError("\(other): tensor names differ from \(folder) (e.g. \(missing.joined(separator: ", ")))")
        }
        var maxDifference: Float = 0
        for name in checkpoint.tensorNames {
            guard let a = try checkpoint.storedTensor(named: name), let b = try twin.storedTensor(named: name) else { continue }
            guard a.shape == b.shape else {
                throw CLIError("tensor '\(name)': shape \(a.shape) in \(folder) but \(b.shape) in \(other)")
            }
            if a.dtype == b.dtype {
                let same = a.bytes.count == b.bytes.count
                    && (a.bytes.count == 0 || memcmp(a.bytes.baseAddress!, b.bytes.baseAddress!, a.bytes.count) == 0)
                guard same else { throw CLIError("tensor '\(name)' differs between \(folder) and \(other)") }
            } else {
                // Different precisions cannot match bit for bit: report how far apart they are.
                for (x, y) in zip(try a.floats(), try b.floats()) { maxDifference = max(maxDifference, abs(x - y)) }
            }
        }
        let how = maxDifference == 0 ? "identical" : String(format: "equal up to a max abs difference of %.3g", maxDifference)
        print("compare: all \(checkpoint.tensorNames.count) tensors \(how) in \(other) (\(twin.format.rawValue))")
    }

    /// Asks the kernel to drop the folder's cached file pages (those not mapped by anyone).
    private func evictFolderFromPageCache() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        #if os(Linux)
        for name in names {
            let fd = open(folder + "/" + name, O_RDONLY)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
        #else
        _ = names
        print("(--evict-cache is Linux-only; figures are warm-cache)")
        #endif
    }

    private func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }

    private func mebibytes(_ bytes: Int) -> String {
        bytes < 0 ? "n/a" : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// VmRSS from /proc/self/status (Linux); -1 where unavailable.
    private func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
        return kib * 1024
    }

}

