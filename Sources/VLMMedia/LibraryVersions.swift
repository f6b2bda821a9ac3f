import CFFmpeg

/// The FFmpeg libraries linked at run time (not the headers built against), for `vlmnode doctor`.
public enum MediaLibraries {
    /// `[("libavcodec", "59.37.100"), …]` from each library's `*_version()`.
    public static var versions: [(name: String, version: String)] {
        func text(_ v: UInt32) -> String { "\(v >> 16).\((v >> 8) & 0xff).\(v & 0xff)" }
        return [("libavcodec", text(avcodec_version())), ("libavformat", text(avformat_version())),
                ("libavutil", text(avutil_version())), ("libswscale", text(swscale_version())),
                ("libavdevice", text(avdevice_version()))]
    }

    /// The FFmpeg release (`av_version_info`), e.g. `5.1.6-0+deb12u1`.
    public static var ffmpegVersion: String { String(cString: av_version_info()) }
}
