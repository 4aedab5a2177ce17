// Writes jest's totals to JEST_RESULTS_FILE, so CI can print a plain "N passed, N failed" line.
const { writeFileSync } = require('node:fs')

class TotalsReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.JEST_RESULTS_FILE
    if (!file) return
    const { numTotalTests, numPassedTests, numFailedTests } = results
    writeFileSync(file, JSON.stringify({ numTotalTests, numPassedTests, numFailedTests }))
  }
}
module.exports = TotalsReporter
