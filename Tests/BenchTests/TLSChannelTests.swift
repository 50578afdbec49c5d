@testable import Bench
import Foundation
import Sim
import XCTest

/// The secure channel's authentication, in-process: a TLS server on 127.0.0.1 and a client.
final class TLSChannelTests: XCTestCase {
    /// Runs a server handshake on a thread and a client handshake here; returns both outcomes.
    private func handshake(server: TLSIdentity, client: TLSIdentity)
        throws -> (server: Result<TLSChannel, any Error>, client: Result<TLSChannel, any Error>) {
        let (listener, port) = try LoopbackSocket.listen()
        defer { close(listener) }
        let serverResult = Locked<Result<TLSChannel, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let serverContext = try TLSContext(identity: server, role: .server)
        let thread = Thread {
            let result = Result { () throws -> TLSChannel in
                let fd = try LoopbackSocket.accept(listener, timeoutSeconds: 10)
                let channel = try TLSChannel(fd: fd, context: serverContext, label: "server", handshakeTimeoutSeconds: 5)
                // TLS 1.3 finishes the client's handshake before the server has checked the
                // client's certificate: exchange a byte so that a refusal reaches the client.
                var byte: UInt8 = 7
                try withUnsafeMutableBytes(of: &byte) { try channel.receive(into: $0) }
                try withUnsafeBytes(of: byte) { try channel.send($0) }
                return channel
            }
            serverResult.withLock { $0 = result }
            done.signal()
        }
        thread.start()
        let clientResult = Result { () throws -> TLSChannel in
            let channel = try TLSChannel(fd: try LoopbackSocket.connect(port: port), context: try TLSContext(identity: client, role: .client),
                                         label: "client", handshakeTimeoutSeconds: 5)
            var byte: UInt8 = 42
            try withUnsafeBytes(of: byte) { try channel.send($0) }
            try withUnsafeMutableBytes(of: &byte) { try channel.receive(into: $0) }
            XCTAssertEqual(byte, 42)
            return channel
        }
        if case .failure = clientResult {
            // The client gave up: make sure the server thread is not left waiting on it.
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        return (serverResult.withLock { $0! }, clientResult)
    }

    func testPeersOfTheRunsAuthorityConnect() throws {
        let run = try TLSRunCredentials.generate()
        let (server, client) = try handshake(server: run.worker, client: run.coordinator)
        XCTAssertNoThrow(try server.get())
        XCTAssertNoThrow(try client.get())
    }

    func testWorkerRefusesACoordinatorCertificateFromAnotherAuthority() throws {
        let run = try TLSRunCredentials.generate()
        let stranger = try TLSRunCredentials.generate(name: "someone else")
        // The stranger's leaf trusts the run's CA (so it would accept the worker) but is signed by its own.
        let intruder = TLSIdentity(certificate: stranger.coordinator.certificate, key: stranger.coordinator.key, authority: run.authority)
        let (server, client) = try handshake(server: run.worker, client: intruder)
        XCTAssertThrowsError(try server.get()) { error in
            XCTAssertTrue("\(error)".contains("handshake"), "\(error)")
        }
        XCTAssertThrowsError(try client.get())
    }

    func testCoordinatorRefusesAWorkerCertificateFromAnotherAuthority() throws {
        let run = try TLSRunCredentials.generate()
        let stranger = try TLSRunCredentials.generate(name: "someone else")
        let impostor = TLSIdentity(certificate: stranger.worker.certificate, key: stranger.worker.key, authority: run.authority)
        let (server, client) = try handshake(server: impostor, client: run.coordinator)
        XCTAssertThrowsError(try client.get()) { error in
            XCTAssertTrue("\(error)".contains("certificate"), "\(error)")
        }
        XCTAssertThrowsError(try server.get())
    }

    func testIdentityRoundTripsThroughPEM() throws {
        let run = try TLSRunCredentials.generate()
        let copy = try TLSIdentity(pem: try run.worker.pem())
        XCTAssertEqual(try copy.certificate.pem(), try run.worker.certificate.pem())
        XCTAssertEqual(try copy.authority.pem(), try run.authority.pem())
        XCTAssertThrowsError(try TLSIdentity(pem: Array("not pem".utf8)))
    }
}
