import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opens a page in headless Chromium and reports every console error, uncaught exception,
/// security (CSP) error and network request it makes, then takes a full-page screenshot.
///
/// It speaks the DevTools protocol over `--remote-debugging-pipe` (JSON messages separated
/// by NUL on file descriptors 3 and 4), so nothing listens on a port and no log format is
/// parsed: the browser's own events say what went wrong.
final class HeadlessChromium {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The browser on PATH (Debian's `chromium`), if any.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1
    private var events: [[String: Any]] = []
    private let profile: URL
    private let deadline: Date

    init(executable: String, timeoutSeconds: Double = 90) throws {
        deadline = Date().addingTimeInterval(timeoutSeconds)
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("visag-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw Failure(description: "pipe failed (errno \(errno))") }
        // Above 4, so that placing the child's ends on 3 and 4 cannot overwrite one of them.
        for k in 0..<2 {
            for var fd in [input[k], output[k]] where fd <= 4 {
                let moved = fcntl(fd, F_DUPFD, 10)
                close(fd)
                if input[k] == fd { input[k] = moved } else { output[k] = moved }
                fd = moved
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 3)
        posix_spawn_file_actions_adddup2(&actions, output[1], 4)
        for fd in [input[0], input[1], output[0], output[1]] where fd > 4 { posix_spawn_file_actions_addclose(&actions, fd) }
        let log = profile.appendingPathComponent("browser.log").path
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
        let arguments = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                         "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
                         "--hide-scrollbars", "--mute-audio", "--disable-extensions", "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        close(input[0])
        close(output[1])
        guard status == 0 else {
            close(input[1])
            close(output[0])
            throw Failure(description: "cannot start \(executable) (errno \(status))")
        }
        pid = child
        toBrowser = input[1]
        fromBrowser = output[0]
    }

    deinit {
        close(toBrowser)
        close(fromBrowser)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Loads `page`, waits for it and a moment more for late errors, screenshots the whole
    /// page at `widthPixels` into `screenshot`, and returns every problem seen. `check`, if given, is a
    /// JavaScript expression evaluated in the laid-out page through the DevTools protocol (the page's own
    /// policy forbids scripts, and applies to none of the protocol's): it returns an array of strings, each a
    /// problem of the drawing, added to the others.
    func problems(loading page: URL, screenshot: URL, widthPixels: Int = 1200, check: String? = nil) throws -> [String] {
        let target = try call("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target id: \(target)") }
        let attached = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session: \(attached)") }
        for domain in ["Runtime", "Log", "Page", "Network"] { _ = try call("\(domain).enable", [:], session: session) }
        _ = try call("Page.navigate", ["url": page.absoluteString], session: session)
        try waitForEvent("Page.loadEventFired", session: session)
        try drain(forSeconds: 0.5)
        // Lay the page out at the screenshot's width before measuring its height.
        _ = try call("Emulation.setDeviceMetricsOverride",
                     ["width": widthPixels, "height": 800, "deviceScaleFactor": 1, "mobile": false], session: session)
        let layout = try call("Page.getLayoutMetrics", [:], session: session)
        let content = layout["cssContentSize"] as? [String: Any]
        let height = min(20_000, max(600, Int((content?["height"] as? Double) ?? 2000)))
        _ = try call("Emulation.setDeviceMetricsOverride",
                     ["width": widthPixels, "height": height, "deviceScaleFactor": 1, "mobile": false], session: session)
        let shot = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
        guard let base64 = shot["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot data")
        }
        try png.write(to: screenshot)
        var found: [String] = []
        if let check {
            let evaluated = try call("Runtime.evaluate", ["expression": check, "returnByValue": true], session: session)
            if let exception = evaluated["exceptionDetails"] {
                found.append("check failed: \(exception)")
            } else if let value = (evaluated["result"] as? [String: Any])?["value"] as? [String] {
                found += value
            } else {
                found.append("check returned no array of strings: \(evaluated)")
            }
        }
        try drain(forSeconds: 0.2)
        _ = try? call("Browser.close", [:])
        return events.filter { ($0["sessionId"] as? String) == session }.compactMap(Self.problem) + found
    }

    /// What an event says went wrong, if anything.
    static func problem(_ event: [String: Any]) -> String? {
        let params = event["params"] as? [String: Any] ?? [:]
        switch event["method"] as? String {
        case "Runtime.exceptionThrown":
            let details = params["exceptionDetails"] as? [String: Any] ?? [:]
            let exception = details["exception"] as? [String: Any]
            return "uncaught exception: \(exception?["description"] as? String ?? details["text"] as? String ?? "?")"
        case "Runtime.consoleAPICalled":
            guard let type = params["type"] as? String, type == "error" || type == "assert" else { return nil }
            let arguments = (params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            return "console.\(type): " + arguments.joined(separator: " ")
        case "Log.entryAdded":
            let entry = params["entry"] as? [String: Any] ?? [:]
            guard entry["level"] as? String == "error" else { return nil }
            return "\(entry["source"] as? String ?? "log") error: \(entry["text"] as? String ?? "?")"
        case "Network.requestWillBeSent":
            let request = params["request"] as? [String: Any] ?? [:]
            let url = request["url"] as? String ?? ""
            return url.hasPrefix("file:") || url.hasPrefix("data:") ? nil : "network request: \(url)"
        case "Network.loadingFailed":
            return "failed to load (\(params["blockedReason"] as? String ?? params["errorText"] as? String ?? "?"))"
        default:
            return nil
        }
    }

    // MARK: Protocol

    private func call(_ method: String, _ params: [String: Any], session: String? = nil) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "the browser closed its pipe (\(method))") }
            written += n
        }
        while true {
            let reply = try nextMessage()
            if reply["id"] as? Int == id {
                if let error = reply["error"] { throw Failure(description: "\(method) failed: \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            if reply["method"] != nil { events.append(reply) }
        }
    }

    private func waitForEvent(_ method: String, session: String) throws {
        if events.contains(where: { $0["method"] as? String == method && $0["sessionId"] as? String == session }) { return }
        while true {
            let message = try nextMessage()
            if message["method"] != nil { events.append(message) }
            if message["method"] as? String == method && message["sessionId"] as? String == session { return }
        }
    }

    private func drain(forSeconds seconds: Double) throws {
        let until = Date().addingTimeInterval(seconds)
        while let message = try nextMessage(before: until) {
            if message["method"] != nil { events.append(message) }
        }
    }

    private func nextMessage() throws -> [String: Any] {
        guard let message = try nextMessage(before: deadline) else {
            throw Failure(description: "the browser did not answer in time; its log: \(log())")
        }
        return message
    }

    /// The next NUL-terminated message, or nil if none arrives before `until`.
    private func nextMessage(before until: Date) throws -> [String: Any]? {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw Failure(description: "not a protocol message: \(String(decoding: data, as: UTF8.self))")
                }
                return object
            }
            let remaining = until.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var poller = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw Failure(description: "poll failed (errno \(errno))") }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "the browser closed its pipe; its log: \(log())") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    private func log() -> String {
        let text = (try? String(contentsOf: profile.appendingPathComponent("browser.log"), encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }
}
