// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum MCAP uses everywhere.
import Foundation

/// CRC-32 as zlib computes it: `update(0, bytes)` equals `zlib.crc32(bytes)`.
public enum CRC32 {
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Eight 256-entry tables for slicing-by-8: one table lookup per input byte, eight bytes per step.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// Continues `crc` (a finished CRC of earlier bytes, 0 for none) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return crc }
        var n = bytes.count
        var c = ~crc
        tables.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            while n >= 8 {
                let lo = p.loadUnaligned(as: UInt32.self).littleEndian ^ c
                let hi = (p + 4).loadUnaligned(as: UInt32.self).littleEndian
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                p += 8
                n -= 8
            }
            while n > 0 {
                c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                p += 1
                n -= 1
            }
        }
        return ~c
    }

    /// CRC of a byte array (convenience for small buffers).
    public static func checksum<C: ContiguousBytes>(_ bytes: C, seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { update(seed, $0) }
    }

    /// The CRC of `A + B` from `crc(A)`, `crc(B)` and `B`'s length, without touching the bytes.
    /// The writer uses it to extend the data-section CRC over large payloads it has already
    /// checksummed for their chunk, so each frame byte is read once.
    public static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: Int) -> UInt32 {
        guard lengthB > 0 else { return crcA }
        return multiplyModP(xPower8n(UInt64(lengthB)), crcA) ^ crcB
    }

    /// a * b modulo the CRC polynomial, both in the reflected representation (bit 31 = x^0).
    static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var a = a, b = b
        var product: UInt32 = 0
        var m: UInt32 = 1 << 31
        while m != 0 {
            if a & m != 0 {
                product ^= b
                a ^= m
                if a == 0 { break }
            }
            m >>= 1
            b = (b & 1) != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// x^(2^k) mod P for k in 0..<32.
    static let powerTable: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 32)
        var p: UInt32 = 1 << 30  // x^1
        table[0] = p
        for k in 1..<32 {
            p = multiplyModP(p, p)
            table[k] = p
        }
        return table
    }()

    /// x^(8 * n) mod P: shifting a CRC past n zero bytes.
    static func xPower8n(_ n: UInt64) -> UInt32 {
        var result: UInt32 = 1 << 31  // x^0
        var n = n
        var k = 3
        while n != 0 {
            if n & 1 != 0 { result = multiplyModP(powerTable[k & 31], result) }
            n >>= 1
            k += 1
        }
        return result
    }
}
