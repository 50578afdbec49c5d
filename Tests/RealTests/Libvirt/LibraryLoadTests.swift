import XCTest
@testable import Real

final class LibraryLoadTests: XCTestCase {
    func testAMissingLibvirtFailsTheOpenWithTheLoaderReasonAndTheFix() {
        let failure = LibvirtLibrary.loadFailure(of: "libvirt-missing.so.0")
        let operation = "open connection to test:///default"
        XCTAssertThrowsError(try LibvirtLibrary.require(loadFailure: failure, operation: operation)) { error in
            guard let error = error as? LibvirtError else { return XCTFail("not a LibvirtError: \(error)") }
            XCTAssertEqual(
                error.description,
                "libvirt: open connection to test:///default failed: cannot load libvirt (libvirt-missing.so.0: "
                    + "cannot open shared object file: No such file or directory): install libvirt0 (code 5)")
        }
    }

    func testALibraryWithoutTheLibvirtFunctionsNamesTheFirstOneMissing() throws {
        let failure = try XCTUnwrap(LibvirtLibrary.loadFailure(of: "libc.so.6"))
        XCTAssertTrue(failure.hasSuffix("undefined symbol: virInitialize"), failure)
    }

    func testTheInstalledLibvirtProvidesEveryFunctionVisagCalls() {
        XCTAssertNil(LibvirtLibrary.loadFailure(of: "libvirt.so.0"))
        XCTAssertNoThrow(try LibvirtLibrary.requireLoaded(operation: "open connection"))
    }
}
