# The yardstick of benchmarks/run.py: R doing the work of `python -m analysis results DIR --json`.
#
# Usage: Rscript benchmarks/results.R DATA_DIR
# Reads the three CSV files with readr (typed columns; no cell-by-cell validation), derives PFS,
# response and the two subgroup factors as analysis/study/derive.py states them, and prints the
# same JSON as the Python command (without the "data" block: folder and checksums), computed
# with R's survival package: survfit medians (Brookmeyer-Crowley, log), the SPSS-style
# symmetric interval, landmark rates, reverse-KM follow-up, binom.test, adverse-event counts at
# the worst grade, survdiff and coxph (Efron) for both subgroups, RMST at 12 and 24 months
# (overall, and the difference between the levels of each subgroup). benchmarks/run.py checks that
# the two outputs agree before it times either.

suppressPackageStartupMessages({
  library(survival)
  library(readr)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else "data/synthetic"

DAYS_PER_MONTH <- 30.4375
CLINICAL_BENEFIT_DAYS <- 24 * 7
TDM1_BENEFIT_MONTHS <- 6
METASTATIC_PRIMARY_MONTHS <- 3
ADJUVANT_PRIMARY_MONTHS <- 12
R_TOLERANCE <- 1.5e-8
RESPONSE_CODES <- c("CR", "PR", "SD", "PD", "NE")

dates <- c("trastuzumab_start_date", "trastuzumab_end_date", "trastuzumab_progression_date",
           "tdm1_start_date", "tdm1_progression_date", "tki_start_date", "tki_end_date",
           "progression_date", "death_date", "last_assessment_date")
patient_types <- cols(.default = col_character(), age_years = col_integer(), ecog = col_integer(),
                      tdm1_line = col_integer(), tki_line = col_integer())
for (d in dates) patient_types$cols[[d]] <- col_date()
p <- read_csv(file.path(data_dir, "patients.csv"), col_types = patient_types, na = "",
              progress = FALSE)
ae <- read_csv(file.path(data_dir, "adverse_events.csv"), na = "", progress = FALSE,
               col_types = cols(patient_id = col_character(), ae_term = col_character(),
                                grade = col_integer()))
screening <- read_csv(file.path(data_dir, "screening_log.csv"), na = "", progress = FALSE,
                      col_types = cols(.default = col_character()))

months_between <- function(start, end) as.numeric(end - start) / DAYS_PER_MONTH

# ------------------------------------------------------------------------- derived variables
has_event <- !is.na(p$progression_date) | !is.na(p$death_date)
event_date <- pmin(p$progression_date, p$death_date, na.rm = TRUE)
end_date <- ifelse(has_event, event_date, p$last_assessment_date)
pfs_days <- as.numeric(end_date) - as.numeric(p$tki_start_date)
d <- data.frame(months = pfs_days / DAYS_PER_MONTH, event = as.integer(has_event))
bor <- p$best_overall_response
responder <- bor %in% c("CR", "PR")
tdm1_months <- months_between(p$tdm1_start_date, p$tdm1_progression_date)
d$tdm1_benefit <- ifelse(tdm1_months >= TDM1_BENEFIT_MONTHS |
                           p$tdm1_best_response %in% c("CR", "PR"), "yes", "no")
adjuvant <- p$trastuzumab_setting == "adjuvant"
after_end <- months_between(p$trastuzumab_end_date, p$trastuzumab_progression_date)
on_treatment <- months_between(p$trastuzumab_start_date, p$trastuzumab_progression_date)
primary <- (adjuvant & !is.na(after_end) & after_end <= ADJUVANT_PRIMARY_MONTHS) |
  (!adjuvant & (on_treatment <= METASTATIC_PRIMARY_MONTHS |
                  (!is.na(p$trastuzumab_best_response) & p$trastuzumab_best_response == "PD")))
d$trastuzumab_resistance <- ifelse(!is.na(primary) & primary, "primary", "acquired")

# ------------------------------------------------------------------------------- survival
num <- function(x) if (length(x) == 0 || is.na(x)) NA_real_ else as.numeric(x)

fit <- survfit(Surv(months, event) ~ 1, data = d)  # log transform, as R's default
bc <- quantile(fit, 0.5)

spss_median <- function(fit) {
  at_event <- fit$n.event > 0
  s <- fit$surv[at_event]
  t <- fit$time[at_event]
  se <- (fit$std.err * fit$surv)[at_event]
  reached <- which(s <= 0.5 + R_TOLERANCE)
  if (length(reached) == 0) return(c(NA, NA, NA))
  m <- t[reached[1]]
  above <- which(s >= 0.55 - R_TOLERANCE)
  below <- which(s <= 0.45 + R_TOLERANCE)
  if (length(above) == 0 || length(below) == 0) return(c(m, NA, NA))
  u <- above[length(above)]
  l <- below[1]
  half <- qnorm(0.975) * se[reached[1]] / ((s[u] - s[l]) / (t[l] - t[u]))
  if (!is.finite(half)) return(c(m, NA, NA))
  c(m, m - half, m + half)
}
spss <- spss_median(fit)

landmarks <- summary(fit, times = c(6, 12, 18, 24), extend = TRUE)
rate <- list()
for (i in seq_along(landmarks$time)) {
  rate[[as.character(landmarks$time[i])]] <- list(
    estimate = 100 * landmarks$surv[i],
    ci = c(100 * landmarks$lower[i], 100 * landmarks$upper[i]))
}
followup <- quantile(survfit(Surv(months, 1 - event) ~ 1, data = d), 0.5)

RMST_HORIZONS <- c(12, 24)
rmean <- function(fit, tau) {  # RMST and its standard error, as print(survfit, rmean = tau)
  table <- summary(fit, rmean = tau)$table
  c(table[["rmean"]], table[["se(rmean)"]])
}
rmst <- list()
for (tau in RMST_HORIZONS) {
  m <- rmean(fit, tau)
  rmst[[as.character(tau)]] <- list(estimate = m[1], ci = m[1] + c(-1, 1) * qnorm(0.975) * m[2])
}

# ------------------------------------------------------------------------------- response
exact <- function(flag) {
  k <- sum(flag)
  ci <- binom.test(k, length(flag))$conf.int
  list(n = k, pct = 100 * k / length(flag), ci = 100 * c(ci[1], ci[2]))
}
counts <- table(factor(bor, levels = RESPONSE_CODES))

# ------------------------------------------------------------------------- adverse events
# Worst grade per patient and term: sort by (patient, term, grade descending) and keep the first
# row of each pair (radix sort; aggregate() takes 15-20 s at N = 100,000, this about 1 s).
pair <- paste(ae$patient_id, ae$ae_term, sep = "\r")
by_pair <- order(pair, -ae$grade, method = "radix")
worst <- ae[by_pair[!duplicated(pair[by_pair])], ]
terms <- sort(unique(worst$ae_term), method = "radix")
any_grade <- as.integer(table(factor(worst$ae_term, levels = terms)))
grade_3 <- as.integer(table(factor(worst$ae_term[worst$grade >= 3], levels = terms)))
order_ae <- order(-any_grade, -grade_3, terms, method = "radix")
adverse_events <- lapply(order_ae, function(i)
  list(term = terms[i], any_grade = any_grade[i], grade_3_plus = grade_3[i]))

# ------------------------------------------------------------------------------ subgroups
subgroup <- function(column, level, reference) {
  d$group <- relevel(factor(d[[column]]), ref = reference)
  model <- coxph(Surv(months, event) ~ group, data = d, ties = "efron")
  ci <- summary(model)$conf.int
  test <- survdiff(Surv(months, event) ~ group, data = d)
  medians <- list()
  counts <- list()
  fits <- list()
  for (value in c(level, reference)) {
    part <- d[d[[column]] == value, ]
    fits[[value]] <- survfit(Surv(months, event) ~ 1, data = part)
    medians[[value]] <- num(quantile(fits[[value]], 0.5)$quantile)
    counts[[value]] <- nrow(part)
  }
  differences <- list()
  for (tau in RMST_HORIZONS) {
    a <- rmean(fits[[level]], tau)
    b <- rmean(fits[[reference]], tau)
    se <- sqrt(a[2]^2 + b[2]^2)
    differences[[as.character(tau)]] <- list(
      difference = a[1] - b[1], ci = a[1] - b[1] + c(-1, 1) * qnorm(0.975) * se,
      p = 2 * pnorm(-abs(a[1] - b[1]) / se))
  }
  list(level = level, reference = reference, n = counts, median = medians, estimable = TRUE,
       reason = NULL, hr = ci[1, "exp(coef)"], ci = c(ci[1, "lower .95"], ci[1, "upper .95"]),
       logrank_p = pchisq(test$chisq, length(test$n) - 1, lower.tail = FALSE),
       rmst_difference = differences)
}

results <- list(
  n_patients = nrow(d),
  pfs = list(
    events = sum(d$event),
    median = num(spss[1]),
    ci_symmetric = c(num(spss[2]), num(spss[3])),
    ci_brookmeyer_crowley = c(num(bc$lower), num(bc$upper)),
    median_brookmeyer_crowley = num(bc$quantile),
    rate = rate,
    followup_median = num(followup$quantile),
    rmst = rmst
  ),
  response = list(
    bor = as.list(setNames(as.integer(counts), RESPONSE_CODES)),
    orr = exact(responder),
    dcr = exact(bor %in% c("CR", "PR", "SD")),
    cbr = exact(responder | (bor == "SD" & pfs_days >= CLINICAL_BENEFIT_DAYS))
  ),
  adverse_events = adverse_events,
  subgroups = list(
    tdm1_benefit = subgroup("tdm1_benefit", "yes", "no"),
    trastuzumab_resistance = subgroup("trastuzumab_resistance", "acquired", "primary")
  )
)
cat(toJSON(results, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), "\n")
