"""SynthConfig: every knob of the handwriting synthesizer (docs/synthesizer.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SynthConfig:
    """Every knob of the synthesizer (lengths in em, the template's unit box; angles radians).

    Attributes:
        slant_sd: writer's shear x += slant * (y - 0.5), standard deviation.
        rotation_mean: writer's rotation mean; negative lifts horizontals to the right.
        rotation_sd: writer's rotation standard deviation.
        aspect_log_mean: mean of the writer's log(width / height) stretch.
        aspect_log_sd: its standard deviation.
        size_log_sd: standard deviation of the writer's log size (1 = the em box).
        spacing_log_mean: log of the median distance the pen travels between two samples on a
            straight run (em); sets the number of points.
        spacing_log_sd: its standard deviation between writers.
        rate_min_hz: slowest digitizer rate; writers draw uniformly in [min, max].
        rate_max_hz: fastest digitizer rate.
        cursive_a: Beta(a, b) of the writer's cursiveness (base probability to join).
        cursive_b: see cursive_a.
        neat_a: Beta(a, b) of the writer's neatness (1: every noise at its smallest).
        neat_b: see neat_a.
        mess_min: noise multiplier of the neatest writer.
        mess_max: noise multiplier of the messiest writer.
        sample_sd: per-character wobble of a writer's slant, rotation and log aspect.
        offset_sd: per-stroke offset (em) at noise multiplier 1.
        scale_log_sd: per-stroke log scale.
        stroke_rotation_sd: per-stroke rotation.
        bend_sd: per-stroke bend, sideways push of the middle as a fraction of its length.
        extend_sd: per-stroke lengthening (or shortening) at each end, fraction of length.
        elastic_amp: amplitude of the smooth displacement field (em) at multiplier 1.
        elastic_freq: spatial frequency of its waves (radians per em; 3 ~ one bump per em).
        elastic_waves: number of sine waves summed.
        join_dist_coef: how fast the log-odds of joining fall with the gap length (per em).
        join_dist_ref: gap length (em) at which joining has the writer's base odds.
        join_dir_coef: log-odds added when the next stroke lies straight ahead of the pen.
        join_cut: how much shorter (fraction of length) a stroke ends, and the next one
            starts, where the pen joins them: fast writers turn before the corner.
        lift_cut: how much shorter (fraction of its chord) a near-straight stroke ends where
            the pen lifts for a next stroke behind it, and the next one starts where it
            heads back towards the pen (``handwrite._lift_early``: times minus the cosine of
            the chord with the jump and ``lift_neat + 2 (1 - lift_neat) fluency`` with the
            writer's fluency: 0.6-1.4 at 0.6); the pen-up side of ``join_cut``. 0: strokes
            end where the template ends them.
        lift_neat: the factor of ``lift_cut`` for a writer who never joins (fluency 0); the
            mean factor stays about 1 whatever it is (fluency averages 0.51).
        fold_fix: a stroke end shortened past its corner-cut point (``join_cut``,
            ``run_cut``, ``lift_cut``, a negative extension draw) is cut there instead of
            folding back on itself (``geometry.deform``). False: today's output.
        curl: the curl of pen-down stroke ends (``handwrite._curl``): standard deviation
            (radians) of the turn of a stroke's first and last sampled segment, times
            1.5 - neatness. 0: none (today's output).
        wobble: the hand's wobble (``handwrite._wobble``): amplitude of a smooth wander
            along the ink, fraction of the character's size, times 1.5 - neatness and a
            per-character log-normal factor; strokes turn more at the same length and
            straightness. 0: none (today's output).
        wobble_len: its wavelength along the ink, fraction of the character's size (each
            axis: two sines at 1/1.3-1/0.7 of it).
        reach_mean: connector control arm as a fraction of the gap (roundness of joins).
        reach_sd: its per-connector log standard deviation.
        hook_frac: a last segment shorter than this fraction of its stroke that runs back
            (more than 90 degrees) against the stroke's course so far is a hook.
        dot_len: a stroke shorter than this (em) is a dot; a writer who simplifies writes
            it as a tick that heads for the next stroke's start (at most dot_len / 5 longer).
        round_min: Chaikin cut fraction (corner rounding) of the least cursive writer.
        round_max: of the most cursive writer.
        swap_prob: probability that a character has two adjacent strokes in swapped order.
        reverse_prob: probability that a character has one stroke written backwards.
        split_prob: probability that one stroke is broken in two at its sharpest corner,
            for a writer who never joins; times (1 - cursiveness)^8 (careful writers break
            strokes, and never re-join them; about 1% of all characters).
        jitter_sd: digitizer noise per point (em) at multiplier 1.
        drop_prob: probability that an interior sample is lost.
        end_speed: pen speed at the ends of a pen-down stroke, fraction of cruising speed.
        corner_radius: radius of curvature (em) below which the pen slows (as R^(1/3)).
        min_speed: the slowest a corner makes the pen, fraction of cruising speed.
        pen_up_ms: pause between strokes besides the pen-up travel (timestamps only).
        part_overlap: most overlap (em) of two components' extents for a character to count
            as a left-right or top-bottom pair (``template.components``).
        part_shift_sd: the two components of such a pair moved apart (or together) along
            the axis between them, each by this (em) at noise multiplier 1.
        part_scale_sd: each component's own log scale about its centre.
        part_offset_sd: the components moved against each other across that axis (em):
            a left radical set higher or lower than its right-hand part. All three 0 (the
            default): no component layout change, and no random draws for it.
        slant_mean: mean of the writers' shear (negative: verticals lean to the left at
            the bottom, as real writers' downstrokes do on average).
        tail_prob: probability that the pen runs on past a stroke's end towards the next
            stroke before it lifts (``motion.pen_motion``), for a writer of middle
            fluency; 0 (the default): no tails, lead-ins or draws for them.
        tail_frac_min: shortest tail, as a fraction of the pen-up gap.
        tail_frac_max: longest tail.
        lead_prob: probability that a stroke starts with a lead-in along the pen-up jump.
        lead_len_min: shortest lead-in (fraction of the character's size).
        lead_len_max: about the longest.
        digitizer_prob: probability that a character is recorded by a drawn digitizer
            (``motion.digitize``: box 100-2000 px, dense sampling, whole pixels);
            0 (the default): no draws for it.
        dense_prob: of those, the share sampled every 1-6 px along the path.
        integer_prob: of those, the share rounded to whole pixels.
        cross_share: share of writers who habitually write the later of two crossing
            strokes first (``order``: 十 as 丨 then 一); 0 (the default) for all four
            shares: no stroke-order habits and no draws for them.
        close_share: share of writers who close enclosures (日, 国) before their interior.
        parts_share: share of writers who write a two-part character's second part first.
        pie_share: share of writers who write left-falling strokes (撇) end to start.
        habit_min: a writer with a habit follows it at each site with a probability drawn
            uniformly in [habit_min, 1]: each writer consistent across characters.
        japanese_share: share of writers who write the characters Tomoe writes in another
            order (``order.japanese_orders``: 田, 右, 王, 反 ...) in that Japanese order; 0
            (the default): none, and no draws for it (drawn from a side stream: writers
            without the habit are unchanged).
        japanese_rate: such a writer's mean per-character rate; each writer's is drawn
            uniformly in [japanese_rate / 2, 3 * japanese_rate / 2], at most 1.
        run_share: share of writers who write running hand (``running``): now and then a
            character with each component in one pen-down, or the whole character; 0 (the
            default): no running hand and no draws for it.
        run_rate: the most often such a writer runs a character; each writer's rate is
            drawn uniformly in [run_rate / 5, run_rate].
        run_whole: of the running characters, the share written whole in one pen-down (the
            rest: each component joined, the pen lifted where the writer would lift it).
        run_cursive: the cursiveness of the joins within a component of a running character.
        run_round: the least corner rounding (Chaikin cut fraction) of a running character.
        run_cut: ``join_cut`` of a running character's joins: the pen turns for the next
            stroke well before the end, as running script abbreviates strokes.
        run_loop: of the running characters with a box closed by its bottom right after
            its 横折 (口), the share whose bottom runs back from right to left, closing
            the box in one loop.
    """

    slant_sd: float = 0.12
    rotation_mean: float = -0.04
    rotation_sd: float = 0.05
    aspect_log_mean: float = -0.14
    aspect_log_sd: float = 0.22
    size_log_sd: float = 0.1
    spacing_log_mean: float = -2.3
    spacing_log_sd: float = 0.25
    rate_min_hz: float = 75.0
    rate_max_hz: float = 150.0
    cursive_a: float = 1.85
    cursive_b: float = 1.75
    neat_a: float = 2.0
    neat_b: float = 2.0
    mess_min: float = 0.5
    mess_max: float = 1.6
    sample_sd: float = 0.03
    offset_sd: float = 0.02
    scale_log_sd: float = 0.08
    stroke_rotation_sd: float = 0.06
    bend_sd: float = 0.05
    extend_sd: float = 0.06
    elastic_amp: float = 0.015
    elastic_freq: float = 3.0
    elastic_waves: int = 3
    join_dist_coef: float = 6.0
    join_dist_ref: float = 0.3
    join_dir_coef: float = 0.8
    join_cut: float = 0.06
    lift_cut: float = 0.18
    lift_neat: float = 0.0
    fold_fix: bool = False
    curl: float = 0.0
    wobble: float = 0.0
    wobble_len: float = 0.3
    reach_mean: float = 0.3
    reach_sd: float = 0.3
    hook_frac: float = 0.3
    dot_len: float = 0.24
    round_min: float = 0.1
    round_max: float = 0.3
    swap_prob: float = 0.025
    reverse_prob: float = 0.015
    split_prob: float = 0.3
    jitter_sd: float = 0.002
    drop_prob: float = 0.03
    end_speed: float = 0.25
    corner_radius: float = 0.12
    min_speed: float = 0.3
    pen_up_ms: float = 60.0
    part_overlap: float = 0.05
    part_shift_sd: float = 0.0
    part_scale_sd: float = 0.0
    part_offset_sd: float = 0.0
    slant_mean: float = 0.0
    tail_prob: float = 0.0
    tail_frac_min: float = 0.15
    tail_frac_max: float = 0.5
    lead_prob: float = 0.0
    lead_len_min: float = 0.04
    lead_len_max: float = 0.1
    digitizer_prob: float = 0.0
    dense_prob: float = 0.5
    integer_prob: float = 0.7
    cross_share: float = 0.0
    close_share: float = 0.0
    parts_share: float = 0.0
    pie_share: float = 0.0
    habit_min: float = 0.5
    japanese_share: float = 0.0
    japanese_rate: float = 0.6
    run_share: float = 0.0
    run_rate: float = 0.5
    run_whole: float = 0.4
    run_cursive: float = 0.97
    run_round: float = 0.4
    run_cut: float = 0.15
    run_loop: float = 0.5

    @property
    def order_habits(self) -> bool:
        """Whether writers are drawn with stroke-order habits (``order``)."""
        return (
            self.cross_share > 0
            or self.close_share > 0
            or self.parts_share > 0
            or self.pie_share > 0
        )

    @property
    def running(self) -> bool:
        """Whether writers are drawn with a running hand (``running``)."""
        return self.run_share > 0

    @property
    def parts_vary(self) -> bool:
        """Whether characters' component layouts are varied (and drawn for)."""
        return self.part_shift_sd > 0 or self.part_scale_sd > 0 or self.part_offset_sd > 0
