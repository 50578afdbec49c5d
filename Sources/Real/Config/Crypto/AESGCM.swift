import COpenSSL

/// AES-256-GCM through libcrypto's EVP interface: 32-byte key, 12-byte nonce, 16-byte tag, additional data
/// authenticated but not encrypted.
enum AESGCM {
    static let keyByteCount = 32

    static func seal(_ plaintext: SecretBytes, key: SecretBytes, nonce: [UInt8], additionalData: [UInt8])
        throws(ConfigCryptoError) -> (ciphertext: [UInt8], tag: [UInt8])
    {
        precondition(key.count == keyByteCount && nonce.count == EncryptedConfigHeader.nonceByteCount)
        guard let context = EVP_CIPHER_CTX_new() else { throw .crypto(operation: "allocate a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: EncryptedConfigHeader.tagByteCount)
        let succeeded: Bool = key.withUnsafeBytes { keyBytes in
            plaintext.withUnsafeBytes { input in
                guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
                      EVP_EncryptInit_ex(context, nil, nil, keyBytes.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
                else { return false }
                var written: Int32 = 0
                guard additionalData.isEmpty
                        || EVP_EncryptUpdate(context, nil, &written, additionalData, Int32(additionalData.count)) == 1
                else { return false }
                var total = 0
                if input.count > 0 {
                    let ok = ciphertext.withUnsafeMutableBufferPointer { output in
                        EVP_EncryptUpdate(context, output.baseAddress, &written,
                                          input.bindMemory(to: UInt8.self).baseAddress, Int32(input.count)) == 1
                    }
                    guard ok else { return false }
                    total = Int(written)
                }
                var finalWritten: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                guard EVP_EncryptFinal_ex(context, &scratch, &finalWritten) == 1, finalWritten == 0,
                      total == input.count,
                      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag) == 1
                else { return false }
                return true
            }
        }
        guard succeeded else { throw .crypto(operation: "encrypt with AES-256-GCM") }
        return (ciphertext, tag)
    }

    /// The plaintext, or nil when the tag does not verify (wrong key, or any byte of the data, the additional
    /// data, the nonce or the tag changed). Nothing decrypted is returned unless the tag verified.
    static func open(_ ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, key: SecretBytes, nonce: [UInt8],
                     additionalData: [UInt8]) throws(ConfigCryptoError) -> SecretBytes?
    {
        precondition(key.count == keyByteCount && nonce.count == EncryptedConfigHeader.nonceByteCount)
        precondition(tag.count == EncryptedConfigHeader.tagByteCount)
        guard let context = EVP_CIPHER_CTX_new() else { throw .crypto(operation: "allocate a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        enum Outcome { case opened, forged, failed }
        var outcome = Outcome.failed
        var tagBytes = Array(tag)
        let plaintext = SecretBytes(count: ciphertext.count) { output in
            outcome = key.withUnsafeBytes { keyBytes -> Outcome in
                guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
                      EVP_DecryptInit_ex(context, nil, nil, keyBytes.bindMemory(to: UInt8.self).baseAddress, nonce) == 1
                else { return .failed }
                var written: Int32 = 0
                guard additionalData.isEmpty
                        || EVP_DecryptUpdate(context, nil, &written, additionalData, Int32(additionalData.count)) == 1
                else { return .failed }
                if !ciphertext.isEmpty {
                    let ok = ciphertext.withUnsafeBufferPointer { input in
                        EVP_DecryptUpdate(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                                          input.baseAddress, Int32(input.count)) == 1
                    }
                    guard ok, Int(written) == ciphertext.count else { return .failed }
                }
                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagBytes.count), &tagBytes) == 1 else {
                    return .failed
                }
                var finalWritten: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                return EVP_DecryptFinal_ex(context, &scratch, &finalWritten) == 1 ? .opened : .forged
            }
        }
        switch outcome {
        case .opened: return plaintext
        case .forged: return nil
        case .failed: throw .crypto(operation: "decrypt with AES-256-GCM")
        }
    }
}
