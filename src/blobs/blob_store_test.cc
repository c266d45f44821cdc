// BlobStore against a real Postgres: both kinds store bytes under their
// SHA-256 exactly once, read them back, and never leave a partial file or a
// spool file behind.
#include "blobs/blob_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "blobs/testing/blob_testing.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::blobs {
namespace {

namespace fs = std::filesystem;
using testing::Sha256Hex;
using testing::TempDir;

std::string AllByteValues(size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out += static_cast<char>((i * 7 + i / 256) % 256);
  return out;
}

class BlobStoreTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  }

  std::unique_ptr<BlobStore> OpenStore(BlobStoreOptions options) {
    auto store = BlobStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string Query(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && !rows->empty() ? std::string(rows->Get(0, 0)) : "";
  }

  TempDir spool_;
};

TEST_F(BlobStoreTest, PostgresStoresOnceAndReadsBack) {
  auto store = OpenStore({.spool_directory = spool_.path().string()});
  std::string bytes = AllByteValues(3000);
  std::string sha = Sha256Hex(bytes);
  EXPECT_FALSE(*store->Has(conn(), sha));
  ASSERT_TRUE(store->PutBytes(conn(), sha, bytes).ok());
  EXPECT_TRUE(*store->Has(conn(), sha));
  EXPECT_EQ(*store->Read(conn(), sha), bytes);
  // What the server holds hashes to the key.
  EXPECT_EQ(Query("SELECT encode(sha256(content), 'hex') || ' ' || size FROM airpg.blobs"),
            sha + " 3000");

  // A second Put of the same content writes nothing: the row keeps its version.
  std::string xmin = Query("SELECT xmin::text FROM airpg.blobs WHERE sha256 = $1", {sha});
  ASSERT_TRUE(store->PutBytes(conn(), sha, bytes).ok());
  EXPECT_EQ(Query("SELECT xmin::text FROM airpg.blobs WHERE sha256 = $1", {sha}), xmin);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "1");
  EXPECT_EQ(spool_.CountFiles(), 0);
}

TEST_F(BlobStoreTest, PostgresSendsLargeContentInPieces) {
  auto store = OpenStore({.spool_directory = spool_.path().string(), .chunk_bytes = 1000});
  std::string bytes = AllByteValues(10500);
  std::string sha = Sha256Hex(bytes);
  Spool spool = store->NewSpool();
  ASSERT_TRUE(spool.Append(bytes).ok());
  ASSERT_FALSE(spool.in_memory());
  ASSERT_TRUE(store->Put(conn(), sha, spool).ok());
  EXPECT_EQ(spool_.CountFiles(), 0);  // the spool file is gone once stored
  EXPECT_EQ(Query("SELECT encode(sha256(content), 'hex') FROM airpg.blobs"), sha);
  EXPECT_EQ(*store->Read(conn(), sha), bytes);  // read in 11 pieces
  Spool again = store->NewSpool();
  ASSERT_TRUE(again.Append(bytes).ok());
  ASSERT_TRUE(store->Put(conn(), sha, again).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "1");
}

TEST_F(BlobStoreTest, EmptyContentIsABlobToo) {
  auto store = OpenStore({.spool_directory = spool_.path().string()});
  std::string sha = Sha256Hex("");
  ASSERT_TRUE(store->PutBytes(conn(), sha, "").ok());
  EXPECT_TRUE(*store->Has(conn(), sha));
  EXPECT_EQ(*store->Read(conn(), sha), "");
}

TEST_F(BlobStoreTest, DirectoryWritesTheFileUnderItsShaAndARowWithoutContent) {
  TempDir dir;
  auto store = OpenStore({.directory = dir.path().string()});
  std::string bytes = AllByteValues(5000);
  std::string sha = Sha256Hex(bytes);
  ASSERT_TRUE(store->PutBytes(conn(), sha, bytes).ok());
  fs::path file = dir.path() / sha.substr(0, 2) / sha;
  std::ifstream in(file, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), bytes);
  EXPECT_EQ(
      Query("SELECT size || ' ' || (content IS NULL) FROM airpg.blobs WHERE sha256 = $1", {sha}),
      "5000 true");
  EXPECT_TRUE(*store->Has(conn(), sha));
  EXPECT_EQ(*store->Read(conn(), sha), bytes);
  EXPECT_EQ(dir.CountFiles(), 1);  // no spool file left in .spool

  // Idempotent: the same file (same inode), one row.
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  ASSERT_TRUE(store->PutBytes(conn(), sha, bytes).ok());
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "1");
  EXPECT_EQ(dir.CountFiles(), 1);

  // A file that went missing makes Has false, and Put brings it back.
  fs::remove(file);
  EXPECT_FALSE(*store->Has(conn(), sha));
  ASSERT_TRUE(store->PutBytes(conn(), sha, bytes).ok());
  EXPECT_TRUE(*store->Has(conn(), sha));
}

TEST_F(BlobStoreTest, TheKindsReadEachOthersBlobs) {
  TempDir dir;
  auto postgres = OpenStore({.spool_directory = spool_.path().string()});
  auto directory = OpenStore({.directory = dir.path().string()});
  std::string in_postgres = "kept in postgres";
  ASSERT_TRUE(postgres->PutBytes(conn(), Sha256Hex(in_postgres), in_postgres).ok());
  EXPECT_TRUE(*directory->Has(conn(), Sha256Hex(in_postgres)));
  EXPECT_EQ(*directory->Read(conn(), Sha256Hex(in_postgres)), in_postgres);

  // Bytes that are only in a directory are fetched again into Postgres.
  std::string in_files = "kept in files";
  std::string sha = Sha256Hex(in_files);
  ASSERT_TRUE(directory->PutBytes(conn(), sha, in_files).ok());
  EXPECT_FALSE(*postgres->Has(conn(), sha));
  ASSERT_TRUE(postgres->PutBytes(conn(), sha, in_files).ok());
  EXPECT_EQ(Query("SELECT convert_from(content, 'UTF8') FROM airpg.blobs WHERE sha256 = $1", {sha}),
            in_files);
}

TEST_F(BlobStoreTest, RejectsBadKeysAndUnusableDirectories) {
  auto store = OpenStore({.spool_directory = spool_.path().string()});
  EXPECT_EQ(store->PutBytes(conn(), "ABC", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutBytes(conn(), std::string(64, 'G'), "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Read(conn(), Sha256Hex("absent")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "0");

  TempDir dir;
  std::ofstream(dir.path() / "a-file") << "x";
  auto blocked = BlobStore::Open({.directory = (dir.path() / "a-file" / "sub").string()});
  EXPECT_EQ(blocked.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace airpg::blobs
