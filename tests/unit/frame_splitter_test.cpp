// Splitting a client's byte stream into frames (§1.1, §1.3) and spotting a four-letter
// word in place of the first length (§13.1).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "runtime/config/server_config.hpp"
#include "runtime/net/frame_splitter.hpp"

using rookery::net::frame_splitter;
using status = frame_splitter::status;

namespace {

constexpr int32_t max_frame = 0xFFFFF;  // jute.maxbuffer, §1.3

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string frame(const std::string& payload) { return be32(static_cast<uint32_t>(payload.size())) + payload; }

frame_splitter make(int32_t max = max_frame) { return frame_splitter(max, &rookery::known_four_letter_words()); }

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Payloads that matter: empty, tiny, ones that look like four-letter words or lengths.
std::vector<std::string> sample_payloads(std::mt19937& rng) {
  std::vector<std::string> payloads{std::string(45, '\0'), "", "x", "ruok", "srvr", "", std::string(4, '\xff'),
                                    "stat\n"};
  for (int i = 0; i < 40; ++i) payloads.push_back(random_bytes(rng, rng() % (i % 5 == 0 ? 5000 : 64)));
  payloads.push_back(random_bytes(rng, 70'000));
  return payloads;
}

std::string stream_of(const std::vector<std::string>& payloads) {
  std::string s;
  for (const auto& p : payloads) s += frame(p);
  return s;
}

}  // namespace

TEST_CASE("a fresh splitter is between frames") {
  auto splitter = make();
  CHECK_FALSE(splitter.mid_frame());
  std::vector<std::string> frames;
  CHECK(splitter.feed("", frames) == status::ok);
  CHECK(frames.empty());
  CHECK_FALSE(splitter.mid_frame());
}

TEST_CASE("one frame, then several frames in one chunk") {
  auto splitter = make();
  std::vector<std::string> frames;
  CHECK(splitter.feed(frame("hello"), frames) == status::ok);
  CHECK(frames == std::vector<std::string>{"hello"});
  CHECK_FALSE(splitter.mid_frame());

  frames.clear();
  CHECK(splitter.feed(frame("a") + frame("") + frame(std::string(300, 'b')) + frame("c"), frames) == status::ok);
  CHECK(frames == std::vector<std::string>{"a", "", std::string(300, 'b'), "c"});
  CHECK_FALSE(splitter.mid_frame());

  SECTION("frames are appended, not replacing what the caller holds") {
    CHECK(splitter.feed(frame("d"), frames) == status::ok);
    CHECK(frames.size() == 5);
    CHECK(frames.back() == "d");
  }

  SECTION("complete frames before a partial one come out; the rest waits") {
    frames.clear();
    std::string next = frame("12345");
    CHECK(splitter.feed(frame("x") + next.substr(0, 6), frames) == status::ok);
    CHECK(frames == std::vector<std::string>{"x"});
    CHECK(splitter.mid_frame());
    frames.clear();
    CHECK(splitter.feed(next.substr(6), frames) == status::ok);
    CHECK(frames == std::vector<std::string>{"12345"});
    CHECK_FALSE(splitter.mid_frame());
  }
}

TEST_CASE("zero-length frames") {
  auto splitter = make();
  std::vector<std::string> frames;
  SECTION("as the first frame (four zero bytes are not a word)") {
    CHECK(splitter.feed(be32(0), frames) == status::ok);
    CHECK(frames == std::vector<std::string>{""});
    CHECK_FALSE(splitter.mid_frame());
  }
  SECTION("several in a row, split byte by byte") {
    std::string stream = be32(0) + be32(0) + frame("z") + be32(0);
    for (char c : stream) CHECK(splitter.feed(std::string(1, c), frames) == status::ok);
    CHECK(frames == std::vector<std::string>{"", "", "z", ""});
    CHECK_FALSE(splitter.mid_frame());
  }
}

TEST_CASE("frames split across arbitrary chunk boundaries") {
  std::mt19937 rng(20240611);
  auto payloads = sample_payloads(rng);
  std::string stream = stream_of(payloads);

  SECTION("byte by byte") {
    // Where each frame ends in the stream.
    std::vector<std::size_t> ends;
    std::size_t end = 0;
    for (const auto& p : payloads) ends.push_back(end += 4 + p.size());

    auto splitter = make();
    std::vector<std::string> frames;
    std::size_t complete = 0;
    for (std::size_t i = 0; i < stream.size(); ++i) {
      REQUIRE(splitter.feed(std::string_view(&stream[i], 1), frames) == status::ok);
      // Exactly the frames that are complete by now have come out, each as soon as it is.
      bool at_boundary = complete < ends.size() && i + 1 == ends[complete];
      if (at_boundary) {
        ++complete;
        CHECK(frames.back() == payloads[complete - 1]);
      }
      REQUIRE(frames.size() == complete);
      CHECK(splitter.mid_frame() == !at_boundary);
    }
    CHECK(frames == payloads);
    CHECK_FALSE(splitter.mid_frame());
  }

  SECTION("random chunks, several seeds") {
    for (uint32_t seed = 1; seed <= 50; ++seed) {
      INFO("seed " << seed);
      std::mt19937 chunks(seed);
      auto splitter = make();
      std::vector<std::string> frames;
      std::size_t at = 0;
      while (at < stream.size()) {
        // Mostly small chunks (so headers split too), sometimes large ones.
        std::size_t n = chunks() % 4 == 0 ? chunks() % 20'000 : chunks() % 9;
        n = std::min(n, stream.size() - at);
        REQUIRE(splitter.feed(std::string_view(stream.data() + at, n), frames) == status::ok);
        at += n;
      }
      CHECK(frames == payloads);
      CHECK_FALSE(splitter.mid_frame());
    }
  }

  SECTION("everything in one chunk") {
    auto splitter = make();
    std::vector<std::string> frames;
    CHECK(splitter.feed(stream, frames) == status::ok);
    CHECK(frames == payloads);
  }
}

TEST_CASE("a maximum-size frame arriving in tiny pieces costs linear time") {
  // A peer may trickle a frame in small TCP segments; re-copying what is buffered on every
  // piece would make one 1 MiB frame cost tens of seconds of CPU. The budget is ~1000x what
  // linear work needs, and the loop gives up as soon as it is spent.
  auto splitter = make();
  std::string stream = frame(std::string(max_frame, 'm')) + frame("next");
  std::vector<std::string> frames;
  const auto start = std::chrono::steady_clock::now();
  const auto budget = std::chrono::seconds(3);
  bool in_budget = true;
  for (std::size_t at = 0; at < stream.size() && in_budget; at += 32) {
    REQUIRE(splitter.feed(std::string_view(stream).substr(at, 32), frames) == status::ok);
    if (at % 4096 == 0) in_budget = std::chrono::steady_clock::now() - start < budget;
  }
  CHECK(in_budget);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].size() == static_cast<std::size_t>(max_frame));
  CHECK(frames[1] == "next");
}

TEST_CASE("frame length limits (§1.3)") {
  std::vector<std::string> frames;

  SECTION("exactly the maximum is accepted") {
    auto splitter = make(100);
    std::string payload(100, 'p');
    CHECK(splitter.feed(be32(100), frames) == status::ok);
    CHECK(splitter.mid_frame());
    CHECK(splitter.feed(payload, frames) == status::ok);
    CHECK(frames == std::vector<std::string>{payload});
    CHECK_FALSE(splitter.mid_frame());
  }

  SECTION("one above the maximum is refused as soon as the length is known") {
    auto splitter = make(100);
    CHECK(splitter.feed(be32(101), frames) == status::bad_length);
    CHECK(splitter.bad_length() == 101);
    CHECK(frames.empty());
    CHECK_FALSE(splitter.mid_frame());
  }

  SECTION("jute.maxbuffer: 1,048,575 accepted, 0x00100000 refused (observed)") {
    auto ok = make();
    std::string payload(max_frame, '\x01');
    CHECK(ok.feed(frame(payload), frames) == status::ok);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].size() == static_cast<std::size_t>(max_frame));

    auto bad = make();
    CHECK(bad.feed(be32(0x00100000), frames) == status::bad_length);
    CHECK(bad.bad_length() == 0x00100000);
  }

  SECTION("a bad length split over two chunks, after good frames") {
    auto splitter = make(100);
    std::string header = be32(5000);
    CHECK(splitter.feed(frame("first") + header.substr(0, 2), frames) == status::ok);
    CHECK(frames == std::vector<std::string>{"first"});
    CHECK(splitter.mid_frame());
    CHECK(splitter.feed(header.substr(2), frames) == status::bad_length);
    CHECK(splitter.bad_length() == 5000);
    CHECK(frames == std::vector<std::string>{"first"});
  }

  SECTION("good frames in the same chunk as a bad length still come out") {
    auto splitter = make(100);
    CHECK(splitter.feed(frame("a") + frame("b") + be32(101) + "junk", frames) == status::bad_length);
    CHECK(frames == std::vector<std::string>{"a", "b"});
    CHECK(splitter.bad_length() == 101);
  }

  SECTION("negative lengths are refused") {
    for (uint32_t raw : {0xFFFFFFFFu, 0x80000000u, 0xFFFFFF00u}) {
      auto splitter = make();
      INFO("length " << raw);
      CHECK(splitter.feed(be32(raw) + "payload", frames) == status::bad_length);
      CHECK(splitter.bad_length() == static_cast<int32_t>(raw));
      CHECK(splitter.bad_length() < 0);
    }
    // Also after a first frame.
    auto splitter = make();
    CHECK(splitter.feed(frame("x") + be32(0xFFFFFFFFu), frames) == status::bad_length);
    CHECK(splitter.bad_length() == -1);
  }
}

TEST_CASE("four-letter words (§13.1)") {
  std::vector<std::string> frames;

  SECTION("every known word as the first four bytes") {
    for (const auto& word : rookery::known_four_letter_words()) {
      INFO(word);
      auto splitter = make();
      CHECK(splitter.feed(word, frames) == status::four_letter_word);
      CHECK(splitter.word() == word);
      CHECK(frames.empty());
    }
  }

  SECTION("a word followed by more bytes (a newline from nc)") {
    auto splitter = make();
    CHECK(splitter.feed("ruok\n", frames) == status::four_letter_word);
    CHECK(splitter.word() == "ruok");
    CHECK(frames.empty());
  }

  SECTION("a word that arrives in pieces") {
    auto splitter = make();
    CHECK(splitter.feed("s", frames) == status::ok);
    CHECK(splitter.mid_frame());
    CHECK(splitter.feed("rv", frames) == status::ok);
    CHECK(splitter.feed("r", frames) == status::four_letter_word);
    CHECK(splitter.word() == "srvr");
    CHECK(frames.empty());
  }

  SECTION("after the first frame a word is just a length") {
    auto splitter = make();
    CHECK(splitter.feed(frame("connect"), frames) == status::ok);
    CHECK(splitter.feed("ruok", frames) == status::bad_length);
    CHECK(splitter.bad_length() == 0x72756f6b);
    CHECK(splitter.word().empty());

    // With a limit that admits it, the word really is read as a length.
    frame_splitter lenient(INT32_MAX, &rookery::known_four_letter_words());
    frames.clear();
    CHECK(lenient.feed(be32(0), frames) == status::ok);
    CHECK(lenient.feed("srvr", frames) == status::ok);
    CHECK(frames == std::vector<std::string>{""});
    CHECK(lenient.mid_frame());
    CHECK(lenient.word().empty());
  }

  SECTION("a word inside a first frame that is still arriving is payload") {
    frame_splitter lenient(100, &rookery::known_four_letter_words());
    CHECK(lenient.feed(be32(8), frames) == status::ok);
    CHECK(lenient.feed("ruok", frames) == status::ok);
    CHECK(lenient.feed("stat", frames) == status::ok);
    CHECK(frames == std::vector<std::string>{"ruokstat"});
    CHECK(lenient.word().empty());
  }

  SECTION("an unknown word is a (huge) length") {
    auto splitter = make();
    CHECK(splitter.feed("xxxx", frames) == status::bad_length);
    CHECK(splitter.bad_length() == 0x78787878);
    CHECK(splitter.word().empty());

    // Case matters: "RUOK" is not a word.
    auto upper = make();
    CHECK(upper.feed("RUOK", frames) == status::bad_length);
    CHECK(upper.bad_length() == 0x52554f4b);
  }

  SECTION("without a word list nothing is a word") {
    frame_splitter splitter(max_frame, nullptr);
    CHECK(splitter.feed("ruok", frames) == status::bad_length);
    CHECK(splitter.bad_length() == 0x72756f6b);
  }

  SECTION("only the given list counts") {
    const std::set<std::string> only_srvr{"srvr"};
    frame_splitter splitter(max_frame, &only_srvr);
    CHECK(splitter.feed("ruok", frames) == status::bad_length);
    frame_splitter other(max_frame, &only_srvr);
    CHECK(other.feed("srvr", frames) == status::four_letter_word);
    CHECK(other.word() == "srvr");
  }
}

TEST_CASE("mid_frame tracks partial headers and partial payloads") {
  auto splitter = make();
  std::vector<std::string> frames;
  std::string f = frame("payload!");
  for (std::size_t i = 0; i + 1 < f.size(); ++i) {
    CHECK(splitter.feed(f.substr(i, 1), frames) == status::ok);
    INFO("after " << i + 1 << " bytes");
    CHECK(splitter.mid_frame());
  }
  CHECK(frames.empty());
  CHECK(splitter.feed(f.substr(f.size() - 1), frames) == status::ok);
  CHECK_FALSE(splitter.mid_frame());
  CHECK(frames == std::vector<std::string>{"payload!"});

  // A stalled header after a complete frame in the same chunk.
  CHECK(splitter.feed(frame("q") + be32(3).substr(0, 3), frames) == status::ok);
  CHECK(splitter.mid_frame());
  CHECK(splitter.feed(std::string(1, '\x03') + "abc", frames) == status::ok);
  CHECK_FALSE(splitter.mid_frame());
  CHECK(frames == std::vector<std::string>{"payload!", "q", "abc"});
}

TEST_CASE("the first four bytes decide between a four-letter word and a frame") {
  std::vector<std::string> frames;
  auto words = make();
  CHECK(words.first_word_undecided());
  CHECK(words.feed("ru", frames) == status::ok);
  CHECK(words.first_word_undecided());
  CHECK(words.feed("ok\n", frames) == status::four_letter_word);
  CHECK(words.word() == "ruok");

  auto framed = make();
  std::string connect = frame("hello");
  CHECK(framed.feed(connect.substr(0, 3), frames) == status::ok);
  CHECK(framed.first_word_undecided());
  CHECK(framed.feed(connect.substr(3, 2), frames) == status::ok);
  CHECK_FALSE(framed.first_word_undecided());  // a length, though its frame is incomplete
  CHECK(frames.empty());
  CHECK(framed.feed(connect.substr(5), frames) == status::ok);
  CHECK(frames == std::vector<std::string>{"hello"});
  CHECK_FALSE(framed.first_word_undecided());
}
