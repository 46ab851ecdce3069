# Reference values from R's survival package for tests/test_survival.py and tests/test_cox.py.
#
# Usage (from the repository root):
#   Rscript tests/reference/make_reference.R [REFERENCE_DIR]
# REFERENCE_DIR defaults to the directory of this script. It must hold gbsg2.csv and may hold
# synthetic_derived.csv; fixtures are written to REFERENCE_DIR/fixtures/. Every number the tests
# compare against comes from R; Python never writes a fixture.
#
# Data sets
#   edge       small hand-made samples (plateau at 0.5, curve ending at 0.5, not reached, ties,
#              time-0 events, all censored, a rounded random sample) for the Kaplan-Meier rules.
#   gbsg2      lifelines' GBSG2 export; months = days / 30.4375; tsize_group is set to missing for
#              every 25th patient on purpose, to test the exclusion of incomplete rows.
#   synthetic  the derived synthetic cohort (tests/reference/synthetic_derived.csv), only when
#              that file exists.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
script_path <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
ref_dir <- if (length(args) >= 1) args[1] else dirname(normalizePath(script_path))
out_dir <- file.path(ref_dir, "fixtures")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

CONF_TYPES <- c("log", "log-log", "plain")
DAYS_PER_MONTH <- 30.4375

# ---------------------------------------------------------------------------------------------
# Output helpers: full double precision (17 significant digits), NA for missing, UTF-8.

write_fixture <- function(df, name) {
  num <- vapply(df, is.numeric, logical(1))
  df[num] <- lapply(df[num], function(x) ifelse(is.na(x), NA_character_, sprintf("%.17g", x)))
  path <- file.path(out_dir, paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE, na = "NA", fileEncoding = "UTF-8")
  invisible(path)
}

na_to_num <- function(x) if (length(x) == 0 || is.null(x)) NA_real_ else as.numeric(x)

# ---------------------------------------------------------------------------------------------
# Kaplan-Meier: survfit table, medians (quantile.survfit and print.survfit), landmark summary.

km_table <- function(fit) {
  data.frame(
    time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
    survival = fit$surv,
    std_err = fit$std.err * fit$surv, # survival scale, as summary(fit)$std.err
    lower = fit$lower, upper = fit$upper
  )
}

median_row <- function(fit, conf_type, conf_level) {
  q <- quantile(fit, 0.5)
  tab <- summary(fit)$table # what print(fit) shows (survmean's own rule)
  data.frame(
    conf_type = conf_type, conf_level = conf_level,
    estimate = na_to_num(q$quantile), lower = na_to_num(q$lower), upper = na_to_num(q$upper),
    print_estimate = na_to_num(tab[["median"]]),
    print_lower = na_to_num(tab[[paste0(conf_level, "LCL")]]),
    print_upper = na_to_num(tab[[paste0(conf_level, "UCL")]])
  )
}

km_fixtures <- function(d, name, landmarks) {
  for (ct in CONF_TYPES) {
    fit <- survfit(Surv(months, event) ~ 1, data = d, conf.type = ct)
    write_fixture(km_table(fit), sprintf("%s_km_%s", name, ct))
  }
  medians <- list()
  for (ct in CONF_TYPES) {
    for (cl in c(0.95, 0.90)) {
      fit <- survfit(Surv(months, event) ~ 1, data = d, conf.type = ct, conf.int = cl)
      medians[[length(medians) + 1]] <- median_row(fit, ct, cl)
    }
  }
  write_fixture(do.call(rbind, medians), paste0(name, "_median"))

  fit <- survfit(Surv(months, event) ~ 1, data = d) # R default: log
  s <- summary(fit, times = landmarks, extend = TRUE)
  write_fixture(data.frame(time = s$time, estimate = s$surv, std_err = s$std.err,
                           lower = s$lower, upper = s$upper, n_risk = s$n.risk),
                paste0(name, "_landmarks"))

  # Median follow-up by reverse Kaplan-Meier (Schemper & Smith 1996): event indicator flipped.
  rev_fit <- survfit(Surv(months, 1 - event) ~ 1, data = d)
  q <- quantile(rev_fit, 0.5)
  write_fixture(data.frame(estimate = na_to_num(q$quantile), lower = na_to_num(q$lower),
                           upper = na_to_num(q$upper)), paste0(name, "_followup"))
}

# ---------------------------------------------------------------------------------------------
# Subgroups: medians per group and the log-rank test (survdiff, rho = 0).

group_fixtures <- function(d, name, groupings) {
  medians <- list(); tests <- list(); groups <- list()
  for (g in groupings) {
    dg <- d[!is.na(d[[g]]), ]
    for (lev in sort(unique(dg[[g]]))) {
      fit <- survfit(Surv(months, event) ~ 1, data = dg[dg[[g]] == lev, ])
      q <- quantile(fit, 0.5)
      medians[[length(medians) + 1]] <- data.frame(
        grouping = g, group = lev, n = sum(dg[[g]] == lev),
        estimate = na_to_num(q$quantile), lower = na_to_num(q$lower), upper = na_to_num(q$upper))
    }
    sd <- survdiff(as.formula(sprintf("Surv(months, event) ~ %s", g)), data = d)
    tests[[length(tests) + 1]] <- data.frame(
      grouping = g, chisq = sd$chisq, df = sum(sd$exp > 0) - 1, p = sd$pvalue,
      excluded = sum(is.na(d[[g]])))
    groups[[length(groups) + 1]] <- data.frame(
      grouping = g, group = sub("^.*?=", "", names(sd$n)), n = as.numeric(sd$n),
      observed = sd$obs, expected = sd$exp)
  }
  write_fixture(do.call(rbind, medians), paste0(name, "_median_by_group"))
  write_fixture(do.call(rbind, tests), paste0(name, "_logrank"))
  write_fixture(do.call(rbind, groups), paste0(name, "_logrank_groups"))
}

# ---------------------------------------------------------------------------------------------
# Cox models (Efron ties). Convergence is tightened (eps = 1e-11 instead of 1e-9) so that the
# fixture is the maximiser itself rather than R's default stopping point.

fit_cox <- function(d, factors) {
  vars <- names(factors)
  used <- d[complete.cases(d[c("months", "event", vars)]), c("months", "event", vars)]
  for (v in vars) used[[v]] <- relevel(factor(used[[v]]), ref = factors[[v]])
  form <- as.formula(paste("Surv(months, event) ~", paste(vars, collapse = " + ")))
  r_warnings <- character(0)
  fit <- withCallingHandlers(
    coxph(form, data = used, ties = "efron", control = coxph.control(eps = 1e-11, iter.max = 100)),
    warning = function(w) {
      r_warnings <<- c(r_warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(fit = fit, data = used, excluded = nrow(d) - nrow(used), factors = factors,
       warnings = paste(r_warnings, collapse = " | "))
}

cox_rows <- function(m, model_name) {
  fit <- m$fit; used <- m$data
  coefs <- summary(fit)$coefficients
  ci <- exp(confint(fit))
  rows <- list()
  for (v in names(m$factors)) {
    levs <- levels(used[[v]])
    for (lev in levs) {
      is_ref <- lev == m$factors[[v]]
      key <- paste0(v, lev)
      in_level <- used[[v]] == lev
      rows[[length(rows) + 1]] <- data.frame(
        model = model_name, variable = v, level = lev, reference = is_ref,
        n = sum(in_level), events = sum(used$event[in_level]),
        coef = if (is_ref) 0 else coefs[key, "coef"],
        se = if (is_ref) NA_real_ else coefs[key, "se(coef)"],
        hr = if (is_ref) 1 else coefs[key, "exp(coef)"],
        lower = if (is_ref) NA_real_ else ci[key, 1],
        upper = if (is_ref) NA_real_ else ci[key, 2],
        p = if (is_ref) NA_real_ else coefs[key, "Pr(>|z|)"],
        stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

model_row <- function(m, model_name, selected = "", key_factors = "", threshold = NA_real_) {
  s <- summary(m$fit)
  data.frame(
    model = model_name, n = m$fit$n, events = m$fit$nevent, excluded = m$excluded,
    n_parameters = length(coef(m$fit)),
    lr_chisq = s$logtest[["test"]], lr_df = s$logtest[["df"]], lr_p = s$logtest[["pvalue"]],
    # summary()$waldtest rounds the statistic to 2 decimals; fit$wald.test is the unrounded value.
    wald_chisq = unname(m$fit$wald.test), wald_df = s$waldtest[["df"]],
    wald_p = pchisq(unname(m$fit$wald.test), s$waldtest[["df"]], lower.tail = FALSE),
    loglik_null = m$fit$loglik[1], loglik = m$fit$loglik[2],
    concordance = m$fit$concordance[["concordance"]],
    selected = selected, key_factors = key_factors, threshold = threshold,
    r_warnings = m$warnings, stringsAsFactors = FALSE)
}

zph_rows <- function(m, model_name) {
  z <- cox.zph(m$fit, transform = "km", terms = TRUE, global = TRUE)$table
  data.frame(model = model_name, variable = rownames(z), chisq = z[, "chisq"],
             df = z[, "df"], p = z[, "p"], stringsAsFactors = FALSE)
}

cox_fixtures <- function(d, name, key_factors, prespecified, candidate_factors, threshold = 0.10) {
  all_factors <- c(key_factors, prespecified, candidate_factors)
  # A factor needs at least two observed levels to enter a model.
  usable <- vapply(names(all_factors), function(v) {
    length(unique(na.omit(d[[v]]))) >= 2 && all_factors[[v]] %in% d[[v]]
  }, logical(1))
  all_factors <- all_factors[usable]
  key_factors <- key_factors[names(key_factors) %in% names(all_factors)]
  prespecified <- prespecified[names(prespecified) %in% names(all_factors)]
  candidate_factors <- candidate_factors[names(candidate_factors) %in% names(all_factors)]

  coef_rows <- list(); models <- list(); zph <- list()
  uni_p <- c()
  for (v in names(all_factors)) {
    m <- fit_cox(d, all_factors[v])
    label <- paste0("univariable:", v)
    coef_rows[[length(coef_rows) + 1]] <- cox_rows(m, label)
    models[[length(models) + 1]] <- model_row(m, label)
    zph[[length(zph) + 1]] <- zph_rows(m, label)
    uni_p[v] <- summary(m$fit)$logtest[["pvalue"]]
  }
  # Primary multivariable model: the key factors and the pre-specified covariates, no selection.
  mv_factors <- c(key_factors, prespecified)
  m <- fit_cox(d, mv_factors)
  coef_rows[[length(coef_rows) + 1]] <- cox_rows(m, "multivariable")
  models[[length(models) + 1]] <- model_row(
    m, "multivariable", selected = paste(names(mv_factors), collapse = ";"),
    key_factors = paste(names(key_factors), collapse = ";"))
  zph[[length(zph) + 1]] <- zph_rows(m, "multivariable")
  # Sensitivity model: key factors plus every other factor with univariable LR p < threshold.
  others <- c(prespecified, candidate_factors)
  chosen <- names(others)[uni_p[names(others)] < threshold]
  sc_factors <- c(key_factors, others[chosen])
  m <- fit_cox(d, sc_factors)
  coef_rows[[length(coef_rows) + 1]] <- cox_rows(m, "screened")
  models[[length(models) + 1]] <- model_row(
    m, "screened", selected = paste(names(sc_factors), collapse = ";"),
    key_factors = paste(names(key_factors), collapse = ";"), threshold = threshold)
  zph[[length(zph) + 1]] <- zph_rows(m, "screened")

  role <- ifelse(names(all_factors) %in% names(key_factors), "key",
                 ifelse(names(all_factors) %in% names(prespecified), "prespecified", "candidate"))
  factor_spec <- data.frame(variable = names(all_factors), reference = unname(unlist(all_factors)),
                            role = role, stringsAsFactors = FALSE)
  write_fixture(factor_spec, paste0(name, "_cox_factors"))
  write_fixture(do.call(rbind, coef_rows), paste0(name, "_cox_coefficients"))
  write_fixture(do.call(rbind, models), paste0(name, "_cox_models"))
  write_fixture(do.call(rbind, zph), paste0(name, "_cox_zph"))
}

# ---------------------------------------------------------------------------------------------
# Restricted mean survival time: print(survfit(...), rmean = tau), i.e. summary(fit, rmean =
# tau)$table, overall and per group, and the difference of each group from the reference (first
# level) with SE = sqrt(se1^2 + se2^2), a normal 95% CI and a two-sided z-test p.

rmst_rows <- function(fit, tau, grouping, groups) {
  tab <- summary(fit, rmean = tau)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  data.frame(grouping = grouping, group = groups, tau = tau, n = tab[, "records"],
             events = tab[, "events"], rmean = tab[, "rmean"], se = tab[, "se(rmean)"],
             stringsAsFactors = FALSE)
}

rmst_fixtures <- function(d, name, groupings, references, taus) {
  by_group <- list(); differences <- list()
  for (tau in taus) {
    fit <- survfit(Surv(months, event) ~ 1, data = d)
    by_group[[length(by_group) + 1]] <- rmst_rows(fit, tau, "overall", "all")
    for (g in groupings) {
      dg <- d[!is.na(d[[g]]), ]
      dg[[g]] <- relevel(factor(dg[[g]]), ref = references[[g]])
      fit <- survfit(as.formula(sprintf("Surv(months, event) ~ %s", g)), data = dg)
      rows <- rmst_rows(fit, tau, g, levels(dg[[g]]))
      by_group[[length(by_group) + 1]] <- rows
      ref <- rows[1, ]
      for (i in seq_len(nrow(rows))[-1]) {
        diff <- rows$rmean[i] - ref$rmean
        se <- sqrt(rows$se[i]^2 + ref$se^2)
        z <- qnorm(0.975)
        differences[[length(differences) + 1]] <- data.frame(
          grouping = g, group = rows$group[i], reference = ref$group, tau = tau,
          difference = diff, se = se, lower = diff - z * se, upper = diff + z * se,
          p = 2 * pnorm(-abs(diff / se)), stringsAsFactors = FALSE)
      }
    }
  }
  write_fixture(do.call(rbind, by_group), paste0(name, "_rmst"))
  if (length(differences)) write_fixture(do.call(rbind, differences), paste0(name, "_rmst_difference"))
}

# ---------------------------------------------------------------------------------------------
# 1. Edge cases for the Kaplan-Meier rules.

set.seed(20240601)
random_n <- 40
random_time <- round(rexp(random_n, log(2) / 8) * 2) / 2 # half-month rounding: many ties
random_cens <- round(runif(random_n, 2, 30) * 2) / 2
edge <- rbind(
  data.frame(dataset = "plateau_half", months = c(1, 2, 3, 4), event = c(1, 1, 1, 1)),
  data.frame(dataset = "ends_at_half", months = c(1, 2, 3, 4), event = c(1, 1, 0, 0)),
  data.frame(dataset = "not_reached", months = 1:10, event = c(1, 0, 1, 0, 0, 0, 0, 0, 0, 0)),
  data.frame(dataset = "ties", months = c(1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7, 8),
             event = c(1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1)),
  data.frame(dataset = "last_event", months = 1:5, event = rep(1, 5)),
  data.frame(dataset = "all_censored", months = 1:5, event = rep(0, 5)),
  data.frame(dataset = "early_censor", months = c(0.5, 0.5, 1, 2, 2, 3, 4, 5, 6, 7),
             event = c(0, 0, 1, 1, 0, 1, 0, 1, 1, 0)),
  data.frame(dataset = "zero_time", months = c(0, 0, 1, 2, 3), event = c(1, 0, 1, 1, 0)),
  data.frame(dataset = "rounded_random", months = pmin(random_time, random_cens),
             event = as.numeric(random_time <= random_cens))
)
write_fixture(edge, "edge_data")
edge_landmarks <- c(0, 0.5, 1, 2, 2.5, 3, 6, 12, 100)
for (ds in unique(edge$dataset)) {
  km_fixtures(edge[edge$dataset == ds, ], paste0("edge_", ds), edge_landmarks)
  # RMST at the first times, inside follow-up, at an event time and past the last time.
  rmst_fixtures(edge[edge$dataset == ds, ], paste0("edge_", ds), character(0), list(),
                c(1, 2, 2.5, 6, 100))
}

# ---------------------------------------------------------------------------------------------
# 2. GBSG2 (German Breast Cancer Study Group 2), as exported from lifelines.

g <- read.csv(file.path(ref_dir, "gbsg2.csv"), stringsAsFactors = FALSE)
gbsg2 <- data.frame(
  patient_id = seq_len(nrow(g)),
  months = g$time / DAYS_PER_MONTH,
  event = g$cens,
  horTh = g$horTh,
  menostat = g$menostat,
  tgrade = g$tgrade,
  pnodes_group = ifelse(g$pnodes <= 3, "1-3", ifelse(g$pnodes <= 9, "4-9", "10+")),
  age_group = ifelse(g$age < 50, "<50", ">=50"),
  tsize_group = ifelse(g$tsize <= 20, "<=20", ifelse(g$tsize <= 50, "21-50", ">50")),
  stringsAsFactors = FALSE
)
gbsg2$tsize_group[seq(25, nrow(gbsg2), by = 25)] <- NA # deliberate: tests row exclusion
write_fixture(gbsg2, "gbsg2_analysis_data")
km_fixtures(gbsg2, "gbsg2", c(0, 6, 12, 24, 36, 60, 90))
group_fixtures(gbsg2, "gbsg2", c("horTh", "tgrade", "tsize_group"))
cox_fixtures(
  gbsg2, "gbsg2",
  key_factors = list(horTh = "no"),
  prespecified = list(tgrade = "I", pnodes_group = "1-3"),
  candidate_factors = list(menostat = "Pre", age_group = "<50", tsize_group = "<=20")
)
rmst_fixtures(gbsg2, "gbsg2", c("horTh", "tgrade"), list(horTh = "no", tgrade = "I"), c(12, 24, 60))

# ---------------------------------------------------------------------------------------------
# 3. The derived synthetic cohort, when the lead has produced it.

synthetic_path <- file.path(ref_dir, "synthetic_derived.csv")
if (file.exists(synthetic_path)) {
  s <- read.csv(synthetic_path, stringsAsFactors = FALSE, colClasses = "character",
                na.strings = c("", "NA"), encoding = "UTF-8", fileEncoding = "UTF-8")
  # The model specification the package declares (written by export_model_spec.py): factor,
  # reference level, role (key / prespecified / candidate), threshold, RMST horizons.
  spec <- read.csv(file.path(ref_dir, "synthetic_model_spec.csv"), stringsAsFactors = FALSE,
                   colClasses = "character", encoding = "UTF-8", fileEncoding = "UTF-8")
  spec <- spec[spec$variable %in% names(s), ]
  factors <- setNames(as.list(spec$reference), spec$variable)
  synthetic <- data.frame(patient_id = s$patient_id, months = as.numeric(s$pfs_months),
                          event = as.numeric(s$pfs_event), stringsAsFactors = FALSE)
  for (v in names(factors)) synthetic[[v]] <- s[[v]]
  write_fixture(synthetic, "synthetic_analysis_data")
  km_fixtures(synthetic, "synthetic", c(6, 12, 18, 24))
  key <- spec$variable[spec$role == "key"]
  group_fixtures(synthetic, "synthetic", key)
  cox_fixtures(synthetic, "synthetic",
               key_factors = factors[key],
               prespecified = factors[spec$variable[spec$role == "prespecified"]],
               candidate_factors = factors[spec$variable[spec$role == "candidate"]],
               threshold = as.numeric(spec$threshold[1]))
  rmst_fixtures(synthetic, "synthetic", key, factors[key],
                as.numeric(strsplit(spec$rmst_horizons[1], ";")[[1]]))
  message("synthetic fixtures written")
} else {
  message("no ", synthetic_path, ": synthetic fixtures skipped")
}

writeLines(c(
  paste("R", R.version$major, R.version$minor, sep = "."),
  paste("survival", as.character(packageVersion("survival")))
), file.path(out_dir, "r_versions.txt"))
message("fixtures written to ", out_dir)
