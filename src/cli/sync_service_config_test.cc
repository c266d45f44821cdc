// The one builder of a base's sync options that `airpg sync` and `airpg
// serve` share: what the audit found serve leaving out (keep the hook's
// recorded URL when told nothing about pings, sync.min_held_deletes,
// --attachments-dir) comes out of it for both.
#include "cli/sync_service_config.h"

#include <gtest/gtest.h>

#include "daemon/webhook_receiver.h"

namespace airpg::cli {
namespace {

TEST(SyncServiceConfigTest, ToldNothingAboutPingsTheHookKeepsItsUrl) {
  Config config;
  daemon::SyncServiceOptions so = SyncServiceOptionsFor(config, {}, "appA", "postgres://x");
  EXPECT_EQ(so.base_id, "appA");
  EXPECT_EQ(so.conninfo, "postgres://x");
  EXPECT_TRUE(so.keep_recorded_url);
  EXPECT_TRUE(so.notification_url.empty());

  SyncFlags loopback;
  loopback.loopback_pings = true;
  EXPECT_FALSE(SyncServiceOptionsFor(config, loopback, "appA", "").keep_recorded_url);

  SyncFlags public_url;
  public_url.public_url = "https://sync.example.org/";
  daemon::SyncServiceOptions pinged = SyncServiceOptionsFor(config, public_url, "appA", "");
  EXPECT_FALSE(pinged.keep_recorded_url);
  EXPECT_EQ(pinged.public_url, "https://sync.example.org");
  EXPECT_EQ(pinged.notification_url,
            "https://sync.example.org" + std::string(daemon::kWebhookPath));
}

TEST(SyncServiceConfigTest, SweepOutboxAndAttachmentSettingsAreApplied) {
  Config config;
  config.sync.min_held_deletes = 77;
  config.sync.max_delete_share = 0.25;
  config.sync.debounce_ms = 123;
  config.sync.sweep_minutes = 4;
  config.attachments_max_mb = 2;
  SyncFlags flags;
  flags.attachments_dir = "/tmp/blobs";
  daemon::SyncServiceOptions so = SyncServiceOptionsFor(config, flags, "appA", "");
  EXPECT_EQ(so.syncer.sweep.min_held, 77);
  EXPECT_EQ(so.syncer.sweep.max_share, 0.25);
  EXPECT_EQ(so.outbox.max_delete_share, 0.25);
  EXPECT_EQ(so.outbox.claim.debounce, std::chrono::milliseconds(123));
  EXPECT_EQ(so.syncer.sweep_interval, std::chrono::minutes(4));
  EXPECT_EQ(so.attachments_dir, "/tmp/blobs");
  EXPECT_EQ(so.max_attachment_bytes, int64_t{2} << 20);
}

}  // namespace
}  // namespace airpg::cli
