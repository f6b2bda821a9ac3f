import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The answer to one HTTP request: status and headers (names lowercased).
struct HTTPAnswer {
    let status: Int
    let headers: [String: String]
    /// The first bytes of a non-2xx body (for error messages).
    let errorBody: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Blocking HTTP over URLSession (FoundationNetworking on Linux), with the two operations the hub
/// needs: a HEAD that does not follow redirects (the hub's 302 to its CDN carries the metadata),
/// and a GET that streams the body to a sink chunk by chunk (never the whole file in memory).
final class HubHTTP: @unchecked Sendable {
    private let timeout: TimeInterval

    init(timeout: TimeInterval = 60) { self.timeout = timeout }

    func head(_ url: URL, headers: [String: String]) throws -> HTTPAnswer {
        try run(url, method: "HEAD", headers: headers, followRedirects: false, sink: nil)
    }

    /// GET `url`; 2xx bodies go to `sink` as they arrive (an error thrown by `sink` cancels).
    func get(_ url: URL, headers: [String: String], sink: @escaping (Data, HTTPAnswer) throws -> Void) throws -> HTTPAnswer {
        try run(url, method: "GET", headers: headers, followRedirects: true, sink: sink)
    }

    private func run(_ url: URL, method: String, headers: [String: String], followRedirects: Bool,
                     sink: ((Data, HTTPAnswer) throws -> Void)?) throws -> HTTPAnswer {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.urlCache = nil
        let delegate = TransferDelegate(followRedirects: followRedirects, sink: sink)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        if let failure = delegate.sinkError { throw failure }
        guard let answer = delegate.answer else {
            let reason = delegate.transportError.map { $0.localizedDescription } ?? "no response"
            throw HubError(.network, "\(method) \(url.absoluteString) failed: \(reason)")
        }
        if let transport = delegate.transportError, (200..<300).contains(answer.status) {
            throw HubError(.network, "\(method) \(url.absoluteString) was cut off: \(transport.localizedDescription)")
        }
        return answer
    }
}

private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let followRedirects: Bool
    let sink: ((Data, HTTPAnswer) throws -> Void)?
    let done = DispatchSemaphore(value: 0)
    var answer: HTTPAnswer?
    var errorBody = Data()
    var sinkError: Error?
    var transportError: Error?

    init(followRedirects: Bool, sink: ((Data, HTTPAnswer) throws -> Void)?) {
        self.followRedirects = followRedirects
        self.sink = sink
    }

    static func answer(from response: URLResponse?, body: Data = Data()) -> HTTPAnswer? {
        guard let http = response as? HTTPURLResponse else { return nil }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return HTTPAnswer(status: http.statusCode, headers: headers,
                          errorBody: String(decoding: body.prefix(300), as: UTF8.self))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        if followRedirects {
            // Keep Range (resume) across the redirect; drop the token when the host changes.
            var next = request
            if let range = task.originalRequest?.value(forHTTPHeaderField: "Range") {
                next.setValue(range, forHTTPHeaderField: "Range")
            }
            if next.url?.host != task.originalRequest?.url?.host {
                next.setValue(nil, forHTTPHeaderField: "Authorization")
            }
            completionHandler(next)
        } else {
            answer = Self.answer(from: response)
            completionHandler(nil)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        answer = Self.answer(from: response)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let answer, sinkError == nil else { return }
        guard (200..<300).contains(answer.status), let sink else {
            if errorBody.count < 300 { errorBody.append(data.prefix(300 - errorBody.count)) }
            return
        }
        do { try sink(data, answer) } catch {
            sinkError = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if answer == nil { answer = Self.answer(from: task.response) }
        if let current = answer, !errorBody.isEmpty {
            answer = HTTPAnswer(status: current.status, headers: current.headers,
                                errorBody: String(decoding: errorBody, as: UTF8.self))
        }
        if let error, sinkError == nil {
            let cancelledRedirect = !followRedirects && answer.map { (300..<400).contains($0.status) } == true
            if !cancelledRedirect { transportError = error }
        }
        done.signal()
    }
}
