import Foundation
import XCTest
@testable import Real

final class CycleTests: LibvirtTestCase {
    func testAThousandLifecycleCyclesComplete() throws {
        let cycles = 1000
        let prefix = uniqueName("cycle")
        let clock = ContinuousClock()
        var completed = 0
        let elapsed = try clock.measure {
            for index in 0..<cycles {
                let name = "\(prefix)-\(index)"
                let domain = try connection.defineDomain(xml: domainXML(name: name))
                try domain.start()
                try domain.suspend()
                try domain.resume()
                try domain.destroy()
                try domain.undefine()
                completed += 1
            }
        }
        XCTAssertEqual(completed, cycles)
        XCTAssertFalse(try connection.listDomains().contains { $0.hasPrefix(prefix) })
        print("libvirt test driver: \(cycles) define/start/suspend/resume/destroy/undefine cycles in \(elapsed)")
    }
}
