// Conformance: the text inside a job. JSON text is UTF-8; a job whose args, meta or tags hold other
// bytes (which a program can put in a std::string) is refused, not stored altered or thrown about.
#include "support/engines.h"

namespace jobrunner::testing {

TEMPLATE_TEST_CASE("args, meta or tags that are not UTF-8 are refused and nothing is stored", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob in_args = echo_job({{"name", "caf\xe9"}});                         // Latin-1, not UTF-8
  NewJob in_key = echo_job({{"\xed\xa0\x80", 1}});                            // a UTF-16 surrogate
  NewJob in_meta = echo_job();
  in_meta.meta = {{"nested", {{"list", {"ok", "\xc0\xaf"}}}}};                // an overlong '/'
  NewJob in_tags = echo_job();
  in_tags.tags = {"fine", "\xff"};
  for (const NewJob& job : {in_args, in_key, in_meta, in_tags}) {
    auto r = f.engine->job_insert(job, f.now());
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::invalid_argument);
    CHECK_THAT(r.status().message(), Catch::Contains("UTF-8"));
  }
  auto listed = f.engine->job_list({});
  REQUIRE(listed.is_ok());
  CHECK(listed->empty());

  NewJob fine = echo_job({{"name", "caf\xc3\xa9 \xf0\x9f\x98\x80"}});
  Job stored = insert_job(*f.engine, fine, f.now());
  CHECK(get_job(*f.engine, stored.id).args == fine.args);
}

}  // namespace jobrunner::testing
