import CVLMShm
import Foundation

/// The layout of a frame ring segment (docs/protocol.md section 8). All words little-endian,
/// 8-byte aligned; generations, pins and tokens are accessed atomically.
enum ShmLayout {
    static let magic: [UInt8] = Array("VLMSHM01".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 64
    static let slotEntryBytes = 64
    static let readerEntryBytes = 64
    /// Reader pin entries per segment: more same-host readers than this still work, unpinned.
    static let readerEntries = 32
    static let page = 4096

    static func dataOffset(slots: Int) -> Int {
        roundUp(headerBytes + slotEntryBytes * slots + readerEntryBytes * readerEntries, page)
    }

    static func roundUp(_ n: Int, _ to: Int) -> Int { (n + to - 1) / to * to }

    // Offsets inside the header.
    static let slotCountOffset = 12, slotBytesOffset = 16, dataOffsetOffset = 24, ownerPidOffset = 32
    static let readerCountOffset = 40
}

/// Why a segment could not be created or used.
public struct ShmError: Error, CustomStringConvertible, Sendable {
    /// The original errno, or 0 for a layout problem.
    public let code: Int32
    public let message: String
    public var description: String { code == 0 ? message : "\(message): \(String(cString: strerror(code))) (errno \(code))" }
}

/// Owns one POSIX shared-memory segment: the descriptor and the mapping, released in deinit; the
/// creating side also removes the name then (readers that still map it keep their pages).
final class ShmSegment: @unchecked Sendable {
    let name: String
    let base: UnsafeMutableRawPointer
    let size: Int
    private let fd: Int32
    private let owner: Bool
    /// The layout, read once and checked (`open`): later writes to the header by another process
    /// cannot move a slot outside the mapping.
    private(set) var slotCount = 0, slotBytes = 0, dataOffset = 0, readerCount = 0

    private init(name: String, fd: Int32, size: Int, owner: Bool) throws {
        // MAP_POPULATE: every page is mapped now, so the first lap of the ring (writer) and the first
        // read of each slot (reader) take no page faults — those were the slow tail of a hop.
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0), p != MAP_FAILED else {
            let code = errno
            close(fd)
            if owner { shm_unlink(name) }
            throw ShmError(code: code, message: "cannot map shared memory \(name)")
        }
        self.name = name
        self.base = p
        self.size = size
        self.fd = fd
        self.owner = owner
    }

    /// Creates a ring of `slots` slots of `slotBytes` each (rounded up to pages), mode 0600.
    static func create(name: String, slots: Int, slotBytes: Int) throws -> ShmSegment {
        let stride = ShmLayout.roundUp(max(slotBytes, 1), ShmLayout.page)
        let dataOffset = ShmLayout.dataOffset(slots: slots)
        let size = dataOffset + stride * slots
        let fd = vlm_shm_create(name, size)
        guard fd >= 0 else { throw ShmError(code: -fd, message: "cannot create shared memory \(name) (\(size) bytes)") }
        let s = try ShmSegment(name: name, fd: fd, size: size, owner: true)
        // Pages come zeroed: generations 0, no pins. Fill in the header last-to-first is not
        // needed: readers learn the name only from messages sent after this returns.
        s.base.copyMemory(from: ShmLayout.magic, byteCount: 8)
        s.base.storeBytes(of: ShmLayout.version.littleEndian, toByteOffset: 8, as: UInt32.self)
        s.base.storeBytes(of: UInt32(slots).littleEndian, toByteOffset: ShmLayout.slotCountOffset, as: UInt32.self)
        s.base.storeBytes(of: UInt64(stride).littleEndian, toByteOffset: ShmLayout.slotBytesOffset, as: UInt64.self)
        s.base.storeBytes(of: UInt64(dataOffset).littleEndian, toByteOffset: ShmLayout.dataOffsetOffset, as: UInt64.self)
        s.base.storeBytes(of: UInt64(getpid()).littleEndian, toByteOffset: ShmLayout.ownerPidOffset, as: UInt64.self)
        s.base.storeBytes(of: UInt32(ShmLayout.readerEntries).littleEndian, toByteOffset: ShmLayout.readerCountOffset, as: UInt32.self)
        s.readLayout()
        return s
    }

    /// Maps an existing segment after checking owner, mode and layout (a segment is trusted no
    /// more than a message: every size is checked against the mapping).
    static func open(name: String) throws -> ShmSegment {
        var size = 0
        let fd = vlm_shm_open_checked(name, ShmLayout.headerBytes, &size)
        guard fd >= 0 else { throw ShmError(code: -fd, message: "cannot open shared memory \(name)") }
        let s = try ShmSegment(name: name, fd: fd, size: size, owner: false)
        guard memcmp(s.base, ShmLayout.magic, 8) == 0,
              s.base.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == ShmLayout.version else {
            throw ShmError(code: 0, message: "shared memory \(name) is not a VLMBus frame ring")
        }
        s.readLayout()
        let slots = s.slotCount, stride = s.slotBytes, dataOffset = s.dataOffset
        let (total, overflow) = stride.multipliedReportingOverflow(by: slots)
        guard slots > 0, slots <= 1024, stride > 0, !overflow, s.readerCount == ShmLayout.readerEntries,
              dataOffset >= ShmLayout.dataOffset(slots: slots), dataOffset <= size, total <= size - dataOffset else {
            throw ShmError(code: 0, message: "shared memory \(name) has an inconsistent header")
        }
        return s
    }

    deinit {
        munmap(base, size)
        close(fd)
        if owner { shm_unlink(name) }
    }

    private func readLayout() {
        slotCount = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: ShmLayout.slotCountOffset, as: UInt32.self)))
        slotBytes = Int(clamping: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: ShmLayout.slotBytesOffset, as: UInt64.self)))
        dataOffset = Int(clamping: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: ShmLayout.dataOffsetOffset, as: UInt64.self)))
        readerCount = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: ShmLayout.readerCountOffset, as: UInt32.self)))
    }

    /// The generation word of `slot` (seqlock: odd while being written).
    func generation(_ slot: Int) -> UnsafeMutablePointer<UInt64> {
        (base + ShmLayout.headerBytes + slot * ShmLayout.slotEntryBytes).assumingMemoryBound(to: UInt64.self)
    }

    /// The pixels of `slot`.
    func data(_ slot: Int) -> UnsafeMutableRawPointer { base + dataOffset + slot * slotBytes }

    /// Reader entry `i`: word 0 token (0: free), word 1 pinned slot + 1 (0: none), word 2 pid.
    func reader(_ i: Int) -> UnsafeMutablePointer<UInt64> {
        (base + ShmLayout.headerBytes + slotCount * ShmLayout.slotEntryBytes + i * ShmLayout.readerEntryBytes)
            .assumingMemoryBound(to: UInt64.self)
    }
}
