#include "blobs/testing/blob_testing.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdio>
#include <stdexcept>

namespace airpg::blobs::testing {

TempDir::TempDir() {
  char name[] = "/tmp/airpg-test-XXXXXX";
  // Tests only: no directory means the test cannot run at all.
  if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = name;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

int TempDir::CountFiles() const {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path_)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
}

}  // namespace airpg::blobs::testing
