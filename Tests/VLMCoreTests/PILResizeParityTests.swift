import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// PILResize byte for byte against Pillow on random sizes and filters
/// (Scripts/fixtures/make_resize_fixtures.py).
struct PILResizeParityTests {
    @Test func matchesPillowOnRandomSizesAndFilters() throws {
        // VLMNODE_RESIZE_REFERENCE: prefix of a larger file set written by the same script.
        let prefix = ProcessInfo.processInfo.environment["VLMNODE_RESIZE_REFERENCE"]
            ?? Fixtures.url("images/resize_random").path
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + ".json")))
        let cases = (index as! [String: Any])["cases"] as! [[String: Int]]
        let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: prefix + ".bin")))
        var failures = 0, bytes = 0, maxDiff = 0, verticalFirst = 0
        for c in cases {
            let (w, h, ow, oh) = (c["width"]!, c["height"]!, c["out_width"]!, c["out_height"]!)
            let src = RGBImage(width: w, height: h, pixels: Array(blob[c["source"]!..<(c["source"]! + w * h * 3)]))
            let want = blob[c["output"]!..<(c["output"]! + ow * oh * 3)]
            let got = PILResize.resize(src, width: ow, height: oh, filter: ResampleFilter(rawValue: c["resample"]!)!)
            if PILResize.verticalFirst(inWidth: w, inHeight: h, width: ow, height: oh) && ow != w { verticalFirst += 1 }
            bytes += want.count
            let diff = zip(got.pixels, want).map { abs(Int($0) - Int($1)) }.max() ?? 0
            maxDiff = max(maxDiff, diff)
            if !got.pixels.elementsEqual(want) {
                failures += 1
                if failures <= 5 { Issue.record("\(w)x\(h) -> \(ow)x\(oh) filter \(c["resample"]!): max diff \(diff)") }
            }
        }
        print("resize parity: \(cases.count) cases (\(verticalFirst) vertical-first), \(bytes) bytes, "
              + "\(failures) differ, max diff \(maxDiff)")
        #expect(cases.count > 0 && failures == 0)
    }
}
