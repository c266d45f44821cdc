// Prints testdata/date_format.test's cases: what Moment 2.29.4 and
// moment-timezone print for every DATETIME_FORMAT specifier. Not part of the
// build; the output is checked in. To regenerate, in a scratch directory:
//   npm install moment@2.29.4 moment-timezone
//   TZ=UTC NODE_PATH=$PWD/node_modules node src/formula/testing/moment_cases.js
// and replace the cases after the header of date_format.test.
const moment = require('moment-timezone');
const toks = ["M","Mo","MM","MMM","MMMM","Q","Qo","D","Do","DD","DDD","DDDo","DDDD","d","do","dd","ddd","dddd","e","E","w","wo","ww","W","Wo","WW","Y","YY","YYYY","YYYYY","YYYYYY","y","yo","yy","yyy","yyyy","N","NN","NNN","NNNN","NNNNN","gg","gggg","ggggg","GG","GGGG","GGGGG","A","a","H","HH","h","hh","k","kk","m","mm","s","ss","S","SS","SSS","SSSS","SSSSS","SSSSSS","SSSSSSS","SSSSSSSS","SSSSSSSSS","z","zz","Z","ZZ","X","x","LT","LTS","L","LL","LLL","LLLL","l","ll","lll","llll"];
const out = [];
const dates = ["2024-03-10T15:45:30.123Z", "2021-02-11T00:00:00.000Z", "2023-01-01T00:05:09.007Z", "2024-12-30T12:00:00.000Z", "2022-01-02T23:59:59.999Z"];
for (const d of dates) {
  out.push("# " + d);
  const m = moment.utc(d);
  for (const t of toks) out.push(`DATETIME_FORMAT("${d}", "${t}") ==> "${m.format(t)}"`);
}
out.push("# Brackets, backslashes and runs of letters, as Moment splits them.");
const m = moment.utc("2024-03-10T15:45:30.123Z");
for (const [formula, f] of [["[Week] W", "[Week] W"], ["\\\\YYYY", "\\YYYY"], ["YYY", "YYY"], ["ggg", "ggg"], ["[unclosed", "[unclosed"], ["Do [of] MMMM, YYYY h:mm:ss a", "Do [of] MMMM, YYYY h:mm:ss a"], ["[a[b]", "[a[b]"], ["LT [LT] \\\\LT", "LT [LT] \\LT"], ["hmm Hmmss", "hmm Hmmss"], ["MMo", "MMo"], ["DDo", "DDo"], ["dddd, MMMM Do YYYY, h:mm:ss a", "dddd, MMMM Do YYYY, h:mm:ss a"], ["GGGG-[W]WW-E", "GGGG-[W]WW-E"], ["gggg-[w]ww-e", "gggg-[w]ww-e"]]) {
  out.push(`DATETIME_FORMAT("2024-03-10T15:45:30.123Z", "${formula}") ==> "${m.format(f)}"`);
}
out.push("# z and zz: Moment in UTC mode without a zone; moment-timezone's abbreviation in a named zone.");
for (const [z, d] of [["America/New_York", "2024-03-10T15:45:30.123Z"], ["America/New_York", "2024-01-10T15:45:30.123Z"], ["Asia/Kolkata", "2024-01-10T15:45:30.123Z"], ["Europe/Paris", "2024-07-01T12:00:00.000Z"]]) {
  const mz = moment.tz(d, z);
  out.push(`DATETIME_FORMAT(SET_TIMEZONE("${d}", "${z}"), "z|zz|Z|LLL") ==> "${mz.format("z|zz|Z|LLL")}" @eval-only`);
  out.push(`DATETIME_FORMAT(SET_TIMEZONE("${d}", "${z}"), "Z|LLL|k|wo|gggg") ==> "${mz.format("Z|LLL|k|wo|gggg")}"`);
}
console.log(out.join("\n"));
