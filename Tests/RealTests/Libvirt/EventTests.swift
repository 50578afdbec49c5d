import Foundation
import XCTest
@testable import Real

/// Events arrive on libvirt's event-loop thread; tests read them under a lock.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DomainLifecycleEvent] = []

    func append(_ event: DomainLifecycleEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [DomainLifecycleEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}

private final class Token: Sendable {}

final class EventTests: LibvirtTestCase {
    func testStartAndSuspendDeliverLifecycleEvents() throws {
        let name = uniqueName("events")
        let log = EventLog()
        let subscription = try connection.onLifecycleEvent { domainName, event, _ in
            if domainName == name { log.append(event) }
        }
        let domain = try define(domainXML(name: name), name: name)
        try domain.start()
        try domain.suspend()
        try domain.resume()
        try domain.destroy()

        XCTAssertTrue(waitUntil(seconds: 5) { log.all.count >= 5 }, "events so far: \(log.all)")
        XCTAssertEqual(log.all, [.defined, .started, .suspended, .resumed, .stopped])

        try connection.cancelLifecycleEvents(subscription)
        try domain.start()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(log.all.count, 5, "no events after cancelling: \(log.all)")
    }

    /// The handler (and what it captures) is released once libvirt drops the registration on close.
    func testCloseReleasesTheHandler() throws {
        let second = try LibvirtConnection(uri: testURI)
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            try second.onLifecycleEvent { _, _, _ in _ = token }
        }
        XCTAssertNotNil(weakToken)
        second.close()
        XCTAssertTrue(waitUntil(seconds: 5) { weakToken == nil }, "the handler box was not released")
        XCTAssertThrowsError(try second.onLifecycleEvent { _, _, _ in })
    }

    func testEventsFromOneConnectionReachAnotherOnTheSameHost() throws {
        let name = uniqueName("cross")
        let log = EventLog()
        try connection.onLifecycleEvent { domainName, event, _ in
            if domainName == name { log.append(event) }
        }
        let second = try LibvirtConnection(uri: testURI)
        defer { second.close() }
        cleanup.domain(name)
        let domain = try second.defineDomain(xml: domainXML(name: name))
        try domain.start()
        XCTAssertTrue(waitUntil(seconds: 5) { log.all.contains(.started) }, "events so far: \(log.all)")
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}
