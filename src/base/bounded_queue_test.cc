#include "base/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace airpg {
namespace {

TEST(BoundedQueueTest, DeliversInOrderAndDrainsAfterClose) {
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.Push(1));
  EXPECT_TRUE(q.Push(2));
  q.Close();
  EXPECT_FALSE(q.Push(3));
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, AFullQueueHoldsTheProducerUntilTheConsumerTakes) {
  BoundedQueue<int> q(1);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      if (!q.Push(i)) break;
      pushed = i + 1;
    }
    q.Close();
  });
  int expected = 0;
  while (auto item = q.Pop()) {
    EXPECT_EQ(*item, expected++);
    // Never more than one item ahead of the consumer (capacity 1, plus the one in hand).
    EXPECT_LE(pushed.load(), expected + 1);
  }
  producer.join();
  EXPECT_EQ(expected, 100);
}

TEST(BoundedQueueTest, CloseReleasesABlockedProducer) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.Push(0));
  std::atomic<bool> result{true};
  std::thread producer([&] { result = q.Push(1); });
  q.Close();
  producer.join();
  EXPECT_FALSE(result.load());
}

}  // namespace
}  // namespace airpg
